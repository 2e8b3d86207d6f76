// SSH service using Dropbear. Its ed25519 host key comes from one of three places: `hostKey`, a
// secrets service's output holding the private key file `ssh-keygen -t ed25519 -N ""` writes
// (rendered as a secret file at each start, refused there when it is not such a key, and turned
// into Dropbear's format by dropbearconvert, as Debian's 2022.83 reads no other with -r; a
// secrets.subscriber of that service restarts sshd when it changes);
// `hostKeys`, a folder on writable storage, where it is made on the first start; or else it is
// made in /run/dropbear (the root filesystem may be read-only) at each boot, and its fingerprint
// is said on the console, so a person can tell a new key from an attack when clients complain.
// Authorized keys given here (a list, or an outputRef to a secrets service's text, one key a line,
// each checked when rendered) are rendered at each start as a secret file, which the user's
// ~/.ssh/authorized_keys links to. On an emulated router a user's keys may also come from run.sh
// --authorized-key: a disk holding the key file's text, found by its serial among the virtio
// disks and read at each start, so the image holds no key of the person running it.
import {
  absolutePath,
  defineModule,
  insecureOutputs,
  keyDiskSerial,
  longrun,
  OutputRef,
  port,
  secretPath,
  sh,
  shellQuote,
  sshPublicKey,
  template,
  z,
} from "../../image/config/index.ts";

const outputRefParam = z.instanceof(OutputRef).meta({ type: "outputRef" });

/** Why outputs of `ref`'s service may not give sshd its keys (they let people in), or null. */
function insecureKeys(ref: OutputRef | null): string | null {
  const why = ref === null ? null : insecureOutputs(ref.service);
  return why === null ? null : `${why}: use https, or accept it there (insecure: true)`;
}

const authorized = z
  .strictObject({
    /** The user's home directory, as in `users` (dropbear looks there). */
    home: absolutePath,
    keys: z.union([z.array(sshPublicKey), outputRefParam]).default([]),
    /** Also the keys run.sh --authorized-key gives an emulated router when it starts. */
    fromRunScript: z.boolean().default(false),
  })
  .refine((a) => !Array.isArray(a.keys) || a.keys.length > 0 || a.fromRunScript, "needs keys or fromRunScript")
  .superRefine((a, ctx) => {
    // keys let people in: not from outputs anyone on the way could have changed
    const why = insecureKeys(a.keys instanceof OutputRef ? a.keys : null);
    if (why !== null)
      ctx.addIssue({ code: "custom", path: ["keys"], message: `come from a service whose outputs are ${why}` });
  });

/**
 * Shell lines writing `file` from the rendered secret (when there are built-in keys) and the text
 * of the key disk run.sh attaches (padded with NULs to whole sectors), readable by `user` alone.
 */
function keysAtStart(file: string, secret: string | null, user: string): string[] {
  return [
    "(",
    "  umask 077",
    "  {",
    ...(secret === null ? [] : [sh`    cat ${secret}`]),
    // virtio disks only: a USB stick with the key disk's serial must not add keys on hardware
    "    for d in /sys/block/vd*; do",
    `      if [ "$(cat "$d/serial" 2>/dev/null)" = ${shellQuote(keyDiskSerial)} ]; then tr -d '\\000' < "/dev/\${d##*/}"; fi`,
    "    done",
    sh`  } > ${file}`,
    ")",
    sh`chown ${user} ${file}`,
  ];
}

const ssh = template(
  "ssh",
  z
    .strictObject({
      name: z.string().default("sshd").describe("Name of the service."),
      address: z.string().nullable().default(null).describe("Address to listen on; every address when null."),
      port: port.default(22).describe("TCP port to listen on."),
      allowRoot: z.boolean().default(true).describe("Let root log in."),
      allowPasswordLogin: z
        .boolean()
        .default(false)
        .describe("Let users log in with a password (by default keys only)."),
      allowPasswordLoginForRoot: z
        .boolean()
        .default(false)
        .describe("Let root log in with a password (by default by key only)."),
      allowLocalPortForward: z.boolean().default(false).describe("Allow local port forwarding (ssh -L)."),
      allowRemotePortForward: z.boolean().default(false).describe("Allow remote port forwarding (ssh -R)."),
      allowRemoteConnectionToForwardedPorts: z
        .boolean()
        .default(false)
        .describe("Let other hosts connect to forwarded ports."),
      extraArgs: z.array(z.string()).default([]).describe("Further dropbear arguments."),
      hostKey: outputRefParam
        .nullable()
        .default(null)
        .describe(
          'An outputRef to the host key, the private key file ssh-keygen -t ed25519 -N "" writes (from a secrets service); not with hostKeys.',
        ),
      hostKeys: absolutePath
        .nullable()
        .default(null)
        .describe(
          "Folder on writable storage keeping the host key across reboots (the service should start after its mount); null (and no hostKey): a new key each boot, its fingerprint on the console.",
        ),
      authorizedKeys: z
        .record(z.string().regex(/^[a-z_][a-z0-9_-]*$/, "must be a user name"), authorized)
        .default({})
        .describe(
          "Keys allowed to log in, per user name: home, keys (a list, or an outputRef to text, one key a line, checked at each start) and fromRunScript (run.sh's).",
        ),
    })
    .superRefine((p, ctx) => {
      if (p.hostKey === null) return;
      if (p.hostKeys !== null)
        ctx.addIssue({ code: "custom", path: ["hostKey"], message: "and hostKeys both give the host key: keep one" });
      // the key proves who the router is: not from outputs anyone on the way could read or change
      const why = insecureKeys(p.hostKey);
      if (why !== null)
        ctx.addIssue({ code: "custom", path: ["hostKey"], message: `comes from a service whose outputs are ${why}` });
    }),
  (p) => {
    const flags = [
      ...(p.allowRoot ? [] : ["-w"]),
      ...(p.allowPasswordLogin ? [] : ["-s"]),
      ...(p.allowPasswordLoginForRoot ? [] : ["-g"]),
      ...(p.allowLocalPortForward ? [] : ["-j"]),
      ...(p.allowRemotePortForward ? [] : ["-k"]),
      ...(p.allowRemoteConnectionToForwardedPorts ? ["-a"] : []),
    ];
    const listen =
      p.address === null ? String(p.port) : `${p.address.includes(":") ? `[${p.address}]` : p.address}:${p.port}`;
    const users = Object.entries(p.authorizedKeys);
    type Params = Parameters<typeof longrun>[0];
    const secrets: NonNullable<Params["secrets"]> = {};
    const files: NonNullable<Params["files"]> = {};
    const assemble: string[] = [];
    for (const [user, a] of users) {
      const name = `authorized_keys.${user}`;
      const builtIn = !Array.isArray(a.keys) || a.keys.length > 0;
      if (builtIn)
        // an outputRef's text is several keys, a line each
        secrets[name] = {
          content: Array.isArray(a.keys) ? a.keys.map((k) => `${k}\n`) : { ref: a.keys, as: "ssh-public-keys" },
          owner: user,
        };
      const target = a.fromRunScript ? `/run/dropbear/${name}` : secretPath(p.name, name);
      if (a.fromRunScript) assemble.push(...keysAtStart(target, builtIn ? secretPath(p.name, name) : null, user));
      files[`${a.home}/.ssh`] = { type: "directory", mode: 0o700, owner: user };
      files[`${a.home}/.ssh/authorized_keys`] = { type: "symlink", target };
    }
    const run = ["mkdir -p /run/dropbear"];
    let key: string;
    if (p.hostKey !== null) {
      const given = "ssh_host_ed25519_key";
      secrets[given] = { content: { ref: p.hostKey, as: "openssh-ed25519-key" } };
      // beside it, so that the service's finish removes both
      key = secretPath(p.name, "dropbear_ed25519_host_key");
      run.push(
        sh`if ! said=$(dropbearconvert openssh dropbear ${secretPath(p.name, given)} ${key} 2>&1); then`,
        '  echo "$said"; exit 1',
        "fi",
      );
    } else {
      const folder = p.hostKeys ?? "/run/dropbear";
      key = `${folder}/dropbear_ed25519_host_key`;
      const kept = p.hostKeys === null ? "for this boot only (no hostKeys folder)" : `and kept in ${p.hostKeys}`;
      run.push(
        // (dropbearkey writes the key 0600; /run/dropbear also holds the users' authorized keys)
        ...(p.hostKeys === null ? [] : [sh`mkdir -p ${p.hostKeys} && chmod 700 ${p.hostKeys} || exit 1`]),
        sh`if [ ! -s ${key} ]; then`,
        sh`  dropbearkey -t ed25519 -f ${key} > /dev/null || exit 1`,
        `  echo ${shellQuote(`${p.name}: host key made ${kept}: `)}"$(dropbearkey -y -f ${shellQuote(key)} | grep Fingerprint)" > /dev/console`,
        "fi",
      );
    }
    return longrun({
      name: p.name,
      run: [...run, ...assemble, sh`exec dropbear -F -E -r ${key} -p ${listen} ${[...flags, ...p.extraArgs]}`].join(
        "\n",
      ),
      secrets,
      files,
    });
  },
);

export default defineModule({
  name: "ssh",
  config: {
    packages: ["dropbear-bin"],
    // what the run script takes of run.sh's key disk: NULs pad it, the keys belong to their user
    programs: { busybox: { applets: ["tr", "chown"] } },
    filesystem: { "/etc/dropbear": { type: "symlink", target: "/run/dropbear" } },
  },
  svc: { ssh },
});
