// The device's file layout, in one place: the host's compiler writes the image's files here
// (layout("")), the runtime finds them and keeps its state here (layout($LIMEN_ROOT), see
// svc/paths.ts) and the tests read and write them under a temporary root (layout(theirRoot)).
// No qjs imports, so that the host can import it as it imports svc/database.ts.
//
// Files on the device (written by the image builder from the compiled configuration):
//   /etc/hostname                       the host name init sets
//   /etc/passwd, /etc/group             the accounts: init makes homes under /run and gives the
//                                       terminals (devpts) the tty group
//   /etc/hosts                          static names: localhost, the host name, the hosts option
//   /etc/preinit.json                   in an initramfs only: preinit's plan (init/preinit.ts)
//   /etc/limen/services.json            the service database (svc/database.ts)
//   /etc/limen/s6/<name>/               s6 service directory of each longrun: run, finish,
//                                       notification-fd (when ready-notified), log/run (consumer)
//   /etc/limen/oneshot/<name>/up        oneshot scripts (down is optional), run with SERVICE=<name>
//   /etc/limen/secrets/<name>.json      templates of a service's secret files (secrets/template.ts)
//   /etc/limen/logging.json             the catch-all logger's folder and script (svc/logging.ts)
//   /etc/limen/sysctl.conf              kernel parameters init writes under /proc/sys (init/sysctl.ts)
//   /etc/limen/kernel-modules.json      where the kernel builds them as modules: the files of each
//                                       module a service needs (svc/kernel-modules.ts)
// From the kernel (mounted by init):
//   /proc/sys/                          kernel parameters, one file each (net/ipv4/tcp_syncookies)
// At run time (/run is a tmpfs that init mounts):
//   /run/service/                       s6-svscan's scan directory (longruns are linked in here)
//   /run/services/outputs/<name>/<key>  outputs
//   /run/services/state/                svc's own state: the lock, the shutdown action, up/<name>
//                                       for each oneshot that is up (a oneshot may be named "lock"),
//                                       what boot still waits for (boot-waiting.json), and
//                                       refused/<name>: why a service's start was refused, and
//                                       failed/<name>: why it did not come up the last time (svc status)
//   /run/services/log.fifo              read by the catch-all logger; s6-svscan's output goes there too
//   /run/log/                           the catch-all logger's folder by default (s6-log writes `current`)
//   /run/secrets/<name>/                a service's rendered secret files

/** Every path of the device's layout under `root` ("" for the device itself; no trailing slash). */
export function layout(root: string) {
  const limen = `${root}/etc/limen`;
  const services = `${root}/run/services`;
  const state = `${services}/state`;
  return {
    /** The root itself, for what boot mounts (proc, sys, dev, run). */
    root,
    hostname: `${root}/etc/hostname`,
    passwd: `${root}/etc/passwd`,
    /** Encrypted passwords: init's rescue offers a console login only when root has one. */
    shadow: `${root}/etc/shadow`,
    group: `${root}/etc/group`,
    hosts: `${root}/etc/hosts`,
    preinitPlan: `${root}/etc/preinit.json`,
    database: `${limen}/services.json`,
    /** s6 service directories of longruns, as the image holds them (read-only). */
    longruns: `${limen}/s6`,
    oneshots: `${limen}/oneshot`,
    /** Secret file templates of services (the image's), and where they are rendered. */
    secretSpecs: `${limen}/secrets`,
    secrets: `${root}/run/secrets`,
    /** s6-svscan's scan directory. */
    scan: `${root}/run/service`,
    outputs: `${services}/outputs`,
    /** The lock, the shutdown action, and the oneshots that are up. */
    state,
    /** svc's lock: every transition (svc, controllers, shutdown) is taken holding it. */
    lock: `${state}/lock`,
    shutdownAction: `${state}/shutdown`,
    /** One file per oneshot that is up, in a folder of its own so that no name is one of svc's files. */
    oneshotsUp: `${state}/up`,
    /** While boot converges: what each default service still down waits for (svc status shows it). */
    bootWaiting: `${state}/boot-waiting.json`,
    /** Why a service's start was refused, one file each (a secret it could not write safely): svc status shows it. */
    refused: `${state}/refused`,
    /** Why a service did not come up the last time svc tried (until it does): svc status shows it. */
    failed: `${state}/failed`,
    logFifo: `${services}/log.fifo`,
    /** The catch-all logger's settings (its folder and s6-log script: see svc/logging.ts). */
    logging: `${limen}/logging.json`,
    /** Kernel parameters to set at boot (`key = value` lines), and where the kernel takes them. */
    sysctl: `${limen}/sysctl.conf`,
    procSys: `${root}/proc/sys`,
    /** The .ko files of the modules services need, where the kernel builds them as modules. */
    kernelModules: `${limen}/kernel-modules.json`,
    /** The catch-all logger's folder unless logging.directory says otherwise. */
    log: `${root}/run/log`,
    longrun: (name: string): string => `${limen}/s6/${name}`,
    oneshot: (name: string): string => `${limen}/oneshot/${name}`,
    oneshotUp: (name: string): string => `${state}/up/${name}`,
    refusedOf: (name: string): string => `${state}/refused/${name}`,
    failedOf: (name: string): string => `${state}/failed/${name}`,
    outputsOf: (service: string): string => `${services}/outputs/${service}`,
    secretSpecOf: (service: string): string => `${limen}/secrets/${service}.json`,
    secretsOf: (service: string): string => `${root}/run/secrets/${service}`,
  };
}

export type Layout = ReturnType<typeof layout>;
