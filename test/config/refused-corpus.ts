// A corpus of bad configurations: values that would reach a generated file (a line of
// /etc/passwd, of authorized_keys, of hostapd.conf…) or the build itself unchecked. Each must be
// refused when the configuration is evaluated and compiled, in one line naming the option and
// the file (with line) that set it. test/config/refused.test.ts checks each; `npm run bench`
// counts how many are refused (test/bench/hardening.ts).
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { compile } from "../../image/config/compile.ts";
import { evaluate } from "../../image/config/evaluate.ts";
import { ConfigError } from "../../image/config/errors.ts";
import { loadConfig } from "../../image/config/load.ts";
import { defineConfig, type AnyModule, type UserConfig } from "../../image/config/module.ts";
import { sh } from "../../image/config/shell.ts";
import { longrun, outputRef, type Service } from "../../image/config/service.ts";
import { projectRoot } from "../../image/lib/cache.ts";
import bridge from "../../services/bridge/index.ts";
import dnsmasq from "../../services/dnsmasq/index.ts";
import hostapd from "../../services/hostapd/index.ts";
import network from "../../services/network/index.ts";
import ntp from "../../services/ntp/index.ts";
import l2tp from "../../services/ppp/l2tp.ts";
import secrets from "../../services/secrets/index.ts";
import ssh from "../../services/ssh/index.ts";
import gateway from "../../services/profiles/gateway.ts";
import wap from "../../services/profiles/wap.ts";
import vlan from "../../services/vlan/index.ts";
import { testDevice, testKeys } from "./fixtures.ts";

/** Where the corpus's values are set: the file (with line) an error names, unless a case says otherwise. */
const here = /^test\/config\/refused-corpus\.ts:\d+$/;

export interface Bad {
  /** What is wrong, as the test's name. */
  what: string;
  config: () => UserConfig | Promise<UserConfig>;
  /** The option path the error names. */
  path: string;
  problem: RegExp;
  /** The file (and line) the error names, when not this one. */
  file?: RegExp;
}

const scratch = mkdtempSync(join(tmpdir(), "limen-refused-"));
/** Removes the configuration files the corpus wrote (call once done with it). */
export const removeScratch = (): void => rmSync(scratch, { recursive: true, force: true });

/** A configuration file of its own holding `body` after an import of the configuration language. */
function configFile(name: string, body: string): () => Promise<UserConfig> {
  const file = join(scratch, name);
  const language = JSON.stringify(join(projectRoot, "image/config/index.ts"));
  writeFileSync(file, `import { defineConfig } from ${language};\n${body}\n`);
  return () => loadConfig(file);
}

/** A crypt hash and a public key, for the corpus and for the good neighbours its test accepts. */
export const hash =
  "$6$6HG7WALLQQY1LQDE$428cnouMJ7wVmyK9.dF1uWs7t0z9ztgp3MHvN5bbeo0M4Kqg/u2ThjoSHIjCEJQlnVpDOaEKcOjXAlIClHWN21";
export const [edKey] = testKeys;

/** A radio's link, as a device declares one. */
const radio = () => network.svc.link.build({ ifname: "wlan0", radio: true });

/** A Wi-Fi network for the profiles, on a radio of its own. */
function wifi() {
  return { interface: radio(), band: "g", channel: 1, country: "GB", passphrase: "12345678" };
}

/** A gateway with a DHCP WAN and one LAN port, changed by `more` (checked at evaluation, hence untyped). */
function gatewayWith(more: Record<string, unknown>): UserConfig {
  const link = (ifname: string) => network.svc.link.build({ ifname });
  const params = {
    wan: { type: "dhcp", interface: link("eth0") },
    lan: { interfaces: [link("eth1")], address: "10.0.0.1", prefixLength: 24 },
    ...more,
  };
  return defineConfig({ imports: [gateway], services: { it: gateway.svc.gateway.build(params as never) } });
}

/** A configuration with one service, built by `build` from a template of `modules`, the LAN link at hand. */
function withService(modules: AnyModule[], build: (lan: Service) => Service): UserConfig {
  const lan = network.svc.link.build({ ifname: "eth0" });
  return defineConfig({ imports: [network, ...modules], services: { it: build(lan) } });
}

export const corpus: Bad[] = [
  // users: each value is a field of /etc/passwd or /etc/shadow
  {
    what: "a shell with a line break (a uid-0 line in /etc/passwd)",
    config: () => defineConfig({ users: { web: { uid: 80, gid: 0, shell: "/bin/sh\nevil::0:0::/:/bin/sh" } } }),
    path: "users.web.shell",
    problem: /must not contain :, line breaks or control characters/,
  },
  {
    what: "a relative shell",
    config: () => defineConfig({ users: { web: { uid: 80, gid: 0, shell: "sh" } } }),
    path: "users.web.shell",
    problem: /must be an absolute path/,
  },
  {
    what: "a home with a colon",
    config: () => defineConfig({ users: { web: { uid: 80, gid: 0, dir: "/srv:/bin/sh" } } }),
    path: "users.web.dir",
    problem: /must not contain :/,
  },
  {
    what: "a home with a line break",
    config: () => defineConfig({ users: { web: { uid: 80, gid: 0, dir: "/srv\nroot::0:0::/:/bin/sh" } } }),
    path: "users.web.dir",
    problem: /line breaks/,
  },
  {
    what: "a home climbing out of the tree",
    config: () => defineConfig({ users: { web: { uid: 80, gid: 0, dir: "/srv/../../etc" } } }),
    path: "users.web.dir",
    problem: /must not contain \. or \.\. parts/,
  },
  {
    what: "a relative home",
    config: () => defineConfig({ users: { web: { uid: 80, gid: 0, dir: "srv/web" } } }),
    path: "users.web.dir",
    problem: /absolute path/,
  },
  {
    what: "a password in clear",
    config: () => defineConfig({ users: { root: { passwd: "secret" } } }),
    path: "users.root.passwd",
    problem: /must be a crypt hash \(mkpasswd -m sha512crypt\) or a lock/,
  },
  {
    what: "an empty password (root without one)",
    config: () => defineConfig({ users: { root: { passwd: "" } } }),
    path: "users.root.passwd",
    problem: /is empty, which lets anyone log in without a password: set passwordless: true/,
  },
  {
    what: "passwordless with a password",
    config: () => defineConfig({ users: { root: { passwd: hash, passwordless: true } } }),
    path: "users.root.passwd",
    problem: /must be "" where passwordless is true/,
  },
  {
    what: "a hash with a line break after it",
    config: () => defineConfig({ users: { root: { passwd: `${hash}\nevil` } } }),
    path: "users.root.passwd",
    problem: /must be a crypt hash/,
  },
  {
    what: "a second account with uid 0",
    config: () => defineConfig({ users: { toor: { uid: 0, gid: 0 } } }),
    path: "users.toor.uid",
    problem: /^is 0, as root's: only one account may have uid 0$/,
  },
  {
    what: "a gecos with a colon",
    config: () => defineConfig({ users: { web: { uid: 80, gid: 0, gecos: "Web:x" } } }),
    path: "users.web.gecos",
    problem: /must not contain :/,
  },
  // authorized keys: one key an entry, parsed
  {
    what: "two keys in one entry",
    config: () =>
      defineConfig({ users: { root: { openssh: { authorizedKeys: { keys: [`${edKey}\n${testKeys[1]}`] } } } } }),
    path: "users.root.openssh.authorizedKeys.keys[0]",
    problem: /must be one key on one line/,
  },
  {
    what: "a key with options in front (command=)",
    config: () =>
      defineConfig({ users: { root: { openssh: { authorizedKeys: { keys: [`command="/bin/sh" ${edKey}`] } } } } }),
    path: "users.root.openssh.authorizedKeys.keys[0]",
    problem: /must start with a key type/,
  },
  {
    what: "a key whose blob is another type",
    config: () =>
      defineConfig({
        users: { root: { openssh: { authorizedKeys: { keys: [edKey.replace("ssh-ed25519", "ssh-rsa")] } } } },
      }),
    path: "users.root.openssh.authorizedKeys.keys[0]",
    problem: /holds a key that is not ssh-rsa \("ssh-ed25519"\)/,
  },
  {
    what: "a key that is not base64",
    config: () =>
      defineConfig({ users: { root: { openssh: { authorizedKeys: { keys: ["ssh-ed25519 AAAA one"] } } } } }),
    path: "users.root.openssh.authorizedKeys.keys[0]",
    problem: /holds a key that is not ssh-ed25519 \(truncated\)/,
  },
  {
    what: "a private key pasted as a public one",
    config: () =>
      defineConfig({
        users: { root: { openssh: { authorizedKeys: { keys: ["-----BEGIN OPENSSH PRIVATE KEY-----"] } } } },
      }),
    path: "users.root.openssh.authorizedKeys.keys[0]",
    problem: /must start with a key type/,
  },
  {
    what: "a key line break in the ssh template's keys",
    config: () =>
      defineConfig({
        imports: [ssh],
        services: {
          sshd: ssh.svc.ssh.build({ authorizedKeys: { root: { home: "/home/root", keys: [`${edKey}\nx`] } } }),
        },
      }),
    path: "services.sshd.authorizedKeys.root.keys[0]",
    problem: /must be one key on one line/,
  },
  // the root tree: paths become lines of squashfs pseudo files and UBIFS device tables
  {
    what: "a file path with a line break",
    config: () => defineConfig({ filesystem: { "/etc/motd\n/x": { type: "file", content: "" } } }),
    path: 'filesystem["/etc/motd\\n/x"]',
    problem: /without empty or trailing parts, white space or control characters/,
  },
  {
    what: "a symbolic link's target with a line break",
    config: () =>
      defineConfig({ filesystem: { "/etc/motd": { type: "symlink", target: "/x\n/etc/shadow f 666 0 0" } } }),
    path: 'filesystem["/etc/motd"].target',
    problem: /without white space or control characters/,
  },
  // hostname: the kernel's is at most 63 characters, and dnsmasq serves it as a DNS name
  {
    what: "a hostname of 64 characters",
    config: () => defineConfig({ hostname: `${"a".repeat(30)}.${"b".repeat(33)}` }),
    path: "hostname",
    problem: /must be at most 63 characters/,
  },
  {
    what: "a hostname with an empty label",
    config: () => defineConfig({ hostname: "router..lan" }),
    path: "hostname",
    problem: /must be a host name/,
  },
  {
    what: "a hostname with a leading hyphen",
    config: () => defineConfig({ hostname: "-router" }),
    path: "hostname",
    problem: /must be a host name/,
  },
  {
    what: "ssh listening on port 0",
    config: () => defineConfig({ imports: [ssh], services: { sshd: ssh.svc.ssh.build({ port: 0 }) } }),
    path: "services.sshd.port",
    problem: /must be a port from 1 to 65535/,
  },
  // the kernel: .config lines, make's command line, the kernel's command line
  {
    what: "a Kconfig value with a line break",
    config: () => defineConfig({ kernel: { config: { BRIDGE: "y\nCONFIG_MODULES=y" } } }),
    path: "kernel.config.BRIDGE",
    problem: /must be y, m, n, a number or a "quoted string" \(one line\)/,
  },
  {
    what: "a Kconfig string without its quotes",
    config: () => defineConfig({ kernel: { config: { CMDLINE: "console=ttyS0" } } }),
    path: "kernel.config.CMDLINE",
    problem: /must be y, m, n, a number or a "quoted string"/,
  },
  {
    what: "a conditional Kconfig value with a line break",
    config: () => defineConfig({ kernel: { conditionalConfig: { WLAN: { MAC80211: "y\n" } } } }),
    path: "kernel.conditionalConfig.WLAN.MAC80211",
    problem: /one line/,
  },
  {
    what: "a make target that sets a variable",
    config: () => defineConfig({ kernel: { makeTargets: ["O=/tmp"] } }),
    path: "kernel.makeTargets[0]",
    problem: /must be a make target/,
  },
  {
    what: "a make target that is an option",
    config: () => defineConfig({ kernel: { makeTargets: ["-C/"] } }),
    path: "kernel.makeTargets[0]",
    problem: /must be a make target/,
  },
  {
    what: "a kernel command line word with a space",
    config: () => defineConfig({ boot: { commandLine: ["console=ttyS0 init=/bin/sh"] } }),
    path: "boot.commandLine[0]",
    problem: /must be one word/,
  },
  {
    what: "a kernel command line word with a line break",
    config: () => defineConfig({ boot: { commandLine: ["quiet\n"] } }),
    path: "boot.commandLine[0]",
    problem: /must be one word/,
  },
  {
    what: "a root device that brings a kernel parameter",
    config: () => defineConfig({ hardware: { rootDevice: "/dev/vda init=/bin/sh" } }),
    path: "hardware.rootDevice",
    problem: /must be one word/,
  },
  {
    what: "root options that bring a kernel parameter",
    config: () => defineConfig({ rootOptions: "noatime init=/bin/sh" }),
    path: "rootOptions",
    problem: /must be one word/,
  },
  // hostapd.conf, one key=value a line
  {
    what: "a hostapd value with a line break",
    config: () =>
      withService([hostapd], () =>
        hostapd.svc.hostapd.build({
          interface: radio(),
          params: { ssid: "home\nctrl_interface_group=0", hw_mode: "g", channel: 1 },
        }),
      ),
    path: "services.it.params.ssid",
    problem: /must be one line/,
  },
  {
    what: "a hostapd setting beside the typed ones with a line break",
    config: () =>
      withService([hostapd], () =>
        hostapd.svc.hostapd.build({
          interface: radio(),
          params: { ssid: "home", hw_mode: "g", channel: 1 },
          extra: { ap_isolate: "1\nctrl_interface_group=0" },
        }),
      ),
    path: "services.it.extra.ap_isolate",
    problem: /must be one line/,
  },
  {
    what: "a typed hostapd setting given in extra",
    config: () =>
      withService([hostapd], () =>
        hostapd.svc.hostapd.build({
          interface: radio(),
          params: { ssid: "home", hw_mode: "g", channel: 1 },
          extra: { channel: 6 },
        }),
      ),
    path: "services.it.extra.channel",
    problem: /is set by params\.channel or the template, not here/,
  },
  {
    what: "an access point on an interface that is no radio",
    config: () =>
      withService([hostapd], (lan) =>
        hostapd.svc.hostapd.build({ interface: lan, params: { ssid: "home", hw_mode: "g", channel: 1 } }),
      ),
    path: "services.it.interface",
    problem: /is not a radio's interface/,
  },
  {
    what: "an access point on a radio the device does not have",
    config: () =>
      defineConfig(({ interfaces }) => ({
        imports: [network, hostapd],
        services: {
          it: hostapd.svc.hostapd.build({
            interface: interfaces.wlan5,
            params: { ssid: "home", hw_mode: "a", channel: 36 },
          }),
        },
      })),
    path: "services.it.interface",
    problem: /expected a radio's interface \(interfaces\.wlan…\): the device has no such radio/,
  },
  {
    what: "a 5 GHz channel for the 2.4 GHz band",
    config: () =>
      withService([hostapd], () =>
        hostapd.svc.hostapd.build({ interface: radio(), params: { ssid: "home", hw_mode: "g", channel: 36 } }),
      ),
    path: "services.it.params.channel",
    problem: /36 is no channel of hw_mode g's band \(1–13/,
  },
  {
    what: "a 5 GHz channel between the bands' channels",
    config: () =>
      withService([hostapd], () =>
        hostapd.svc.hostapd.build({ interface: radio(), params: { ssid: "home", hw_mode: "a", channel: 38 } }),
      ),
    path: "services.it.params.channel",
    problem: /38 is no channel of hw_mode a's band/,
  },
  {
    what: "a WPA passphrase shorter than 8 characters",
    config: () =>
      withService([hostapd], () =>
        hostapd.svc.hostapd.build({
          interface: radio(),
          params: { ssid: "home", hw_mode: "g", channel: 1, wpa_passphrase: "short" },
        }),
      ),
    path: "services.it.params.wpa_passphrase",
    problem: /must be 8 to 63 characters/,
  },
  {
    what: "a WPA passphrase longer than 63 characters",
    config: () =>
      withService([hostapd], () =>
        hostapd.svc.hostapd.build({
          interface: radio(),
          params: { ssid: "home", hw_mode: "g", channel: 1, wpa_passphrase: "x".repeat(64) },
        }),
      ),
    path: "services.it.params.wpa_passphrase",
    problem: /must be 8 to 63 characters/,
  },
  {
    what: "a key management method hostapd does not know",
    config: () =>
      withService([hostapd], () =>
        hostapd.svc.hostapd.build({
          interface: radio(),
          params: { ssid: "home", hw_mode: "g", channel: 1, wpa_key_mgmt: "WPA-PSK WEP" },
        }),
      ),
    path: "services.it.params.wpa_key_mgmt",
    problem: /WEP is not one of WPA-PSK/,
  },
  // xl2tpd.conf, one key = value a line, and pppd's options file, an option a line
  {
    what: "an L2TP LNS with a line break",
    config: () => withService([l2tp], (lan) => l2tp.svc.l2tp.build({ upstream: lan, lns: "192.0.2.1\nredial = no" })),
    path: "services.it.lns",
    problem: /must be a host name/,
  },
  {
    what: "an L2TP pppd option with a line break",
    config: () =>
      withService([l2tp], (lan) =>
        l2tp.svc.l2tp.build({ upstream: lan, lns: "lns.example.net", "ppp-options": ["mtu 1400\nnoauth"] }),
      ),
    path: "services.it.ppp-options[0]",
    problem: /must be one line/,
  },
  // dnsmasq: comma-separated values
  {
    what: "a DHCP range with a field smuggled in",
    config: () =>
      withService([dnsmasq], (lan) =>
        dnsmasq.svc.dnsmasq.build({ interface: lan, ranges: ["10.0.0.10,10.0.0.240,12h --dhcp-script=/tmp/x"] }),
      ),
    path: "services.it.ranges[0]",
    problem: /holds "12h --dhcp-script=\/tmp\/x", which is no address/,
  },
  {
    what: "a DHCP range that does not start with an address",
    config: () => withService([dnsmasq], (lan) => dnsmasq.svc.dnsmasq.build({ interface: lan, ranges: ["lan"] })),
    path: "services.it.ranges[0]",
    problem: /must start with an address/,
  },
  {
    what: "a fixed host's IPv4 address with a tag after a comma",
    config: () =>
      withService([dnsmasq], (lan) =>
        dnsmasq.svc.dnsmasq.build({
          interface: lan,
          hosts: { printer: { mac: "52:54:00:12:34:99", v4: "10.0.0.5,set:admin" } },
        }),
      ),
    path: "services.it.hosts.printer.v4",
    problem: /must be an IPv4 address/,
  },
  {
    what: "a fixed host's name with a comma",
    config: () =>
      withService([dnsmasq], (lan) =>
        dnsmasq.svc.dnsmasq.build({
          interface: lan,
          hosts: { "printer,ignore": { mac: "52:54:00:12:34:99", v4: "10.0.0.5" } },
        }),
      ),
    path: 'services.it.hosts["printer,ignore"]',
    problem: /must be a host name/,
  },
  {
    what: "a fixed host's IPv6 address that is not one",
    config: () =>
      withService([dnsmasq], (lan) =>
        dnsmasq.svc.dnsmasq.build({
          interface: lan,
          hosts: { printer: { mac: "52:54:00:12:34:99", v4: "10.0.0.5", v6: ["fd00::5],ignore"] } },
        }),
      ),
    path: "services.it.hosts.printer.v6[0]",
    problem: /must be an IPv6 address/,
  },
  {
    what: "a local domain with a space",
    config: () =>
      withService([dnsmasq], (lan) => dnsmasq.svc.dnsmasq.build({ interface: lan, domain: "lan --port=0" })),
    path: "services.it.domain",
    problem: /must be a host name/,
  },
  // chrony.conf
  {
    what: "a relative NTP dump folder",
    config: () => withService([ntp], () => ntp.svc.ntp.build({ dumpdir: "chrony" })),
    path: "services.it.dumpdir",
    problem: /must be an absolute path/,
  },
  {
    what: "an NTP server name with a NUL",
    config: () => withService([ntp], () => ntp.svc.ntp.build({ servers: { "pool.ntp.org\u0000": [] } })),
    path: 'services.it.servers["pool.ntp.org\\u0000"]',
    problem: /must be one word/,
  },
  // service names: folders of the scan directory, outputs and secrets, and arguments of s6 commands
  ...[".", "..", ".hidden", "-f", "s6-svscan-log", "limen-boot", "../../etc"].map((name): Bad => ({
    what: `a service named ${JSON.stringify(name)}`,
    config: () => defineConfig({ services: { x: longrun({ name, run: "exec true" }) } }),
    path: "services.x.name",
    problem: /^a service name may (only hold|not start with)|is the name of init's own service/,
  })),
  // output references: to a service of the system, to an output it declares, recorded on the reader
  {
    what: "an outputRef to a service that is not in the system",
    config: () => {
      const vault = longrun({ name: "vault", run: "exec vault", outputs: ["psk"] });
      return withService([hostapd], () =>
        hostapd.svc.hostapd.build({
          interface: radio(),
          params: { ssid: "home", hw_mode: "g", channel: 1, wpa_passphrase: outputRef(vault, "psk") },
        }),
      );
    },
    path: "services.it",
    problem: /outputRef\(…, "psk"\) names a service .* that is not part of the system/,
  },
  {
    what: "an outputRef to an output the service does not declare",
    config: () =>
      withService([network], (lan) =>
        network.svc.route.build({ target: "default", interface: lan, via: outputRef(lan, "gateway") }),
      ),
    path: "services.it",
    problem: /^outputRef\(eth0\.link, "gateway"\) names an output eth0\.link does not declare \(it declares ifname\)$/,
  },
  {
    what: "an outputRef in shell text made outside any service (dropped before)",
    config: () => {
      const lan = network.svc.link.build({ ifname: "eth0" });
      const run = sh`exec udhcpc -i ${outputRef(lan, "ifname")}`;
      return defineConfig({ imports: [network], services: { lan, dhcp: longrun({ name: "dhcp", run }) } });
    },
    path: "outputRef",
    problem: /is in shell text made outside a service, which would not know it reads it: make the text in the service/,
  },
  {
    what: "a script function that returns no text",
    config: () => defineConfig({ services: { x: longrun({ name: "x", run: () => "" }) } }),
    path: "services.x.run",
    problem: /^the function must return the script's text$/,
  },
  // the configuration's own code
  {
    what: "defineConfig with an async function (an empty system before)",
    config: () =>
      // @ts-expect-error the function must return the options, not a promise of them
      defineConfig(async () => {
        await Promise.resolve();
        return { hostname: "async" };
      }),
    path: "default export",
    problem: /^defineConfig's function returns a promise \(is it async\?\): it must return the options themselves$/,
  },
  {
    what: "a services entry that is undefined (dropped before)",
    config: () => defineConfig(({ interfaces }) => ({ services: { wifi: interfaces["nosuch"] } })),
    path: "services.wifi",
    problem: /^is undefined: expected a service/,
  },
  {
    what: "a configuration function that throws",
    config: () =>
      defineConfig(() => {
        throw new Error("no WAN on this board");
      }),
    path: "default export",
    problem: /^threw while evaluating: Error: no WAN on this board$/,
  },
  {
    what: "a configuration file that throws when loaded",
    config: configFile("throws.mts", 'throw new TypeError("LAB_PORT is not set");\nexport default defineConfig({});'),
    path: "(file)",
    problem: /^threw while loading: TypeError: LAB_PORT is not set$/,
    file: /\/throws\.mts:2$/,
  },
  // secrets over plain http: what is in clear on the way, and what anyone there could change
  {
    what: "an outboard over plain http with a username and password",
    config: () =>
      defineConfig({
        imports: [secrets],
        services: {
          vault: secrets.svc.outboard.build({
            name: "vault",
            url: "http://vault/r.json",
            username: "r",
            password: "p",
          }),
        },
      }),
    path: "services.vault.url",
    problem: /^plain http sends the username and password in clear: use https, or set insecure: true$/,
  },
  {
    what: "ssh keys from an outboard over plain http",
    config: () => {
      const vault = secrets.svc.outboard.build({ name: "vault", url: "http://vault/r.json" });
      const keys = outputRef(vault, "ssh/keys");
      return defineConfig({
        imports: [secrets, ssh],
        services: { vault, sshd: ssh.svc.ssh.build({ authorizedKeys: { root: { home: "/home/root", keys } } }) },
      });
    },
    path: "services.sshd.authorizedKeys.root.keys",
    problem:
      /^come from a service whose outputs are fetched over plain http \(http:\/\/vault\/r\.json\): use https, or accept it there \(insecure: true\)$/,
  },
  {
    what: "an ssh host key from an outboard over plain http",
    config: () => {
      const vault = secrets.svc.outboard.build({ name: "vault", url: "http://vault/r.json" });
      const hostKey = outputRef(vault, "ssh/host_key");
      return defineConfig({ imports: [secrets, ssh], services: { vault, sshd: ssh.svc.ssh.build({ hostKey }) } });
    },
    path: "services.sshd.hostKey",
    problem:
      /^comes from a service whose outputs are fetched over plain http \(http:\/\/vault\/r\.json\): use https, or accept it there \(insecure: true\)$/,
  },
  // the host key: from one place
  {
    what: "an ssh host key from a secrets service and a hostKeys folder",
    config: () => {
      const vault = longrun({ name: "vault", run: "exec vault", outputs: ["ssh/host_key"] });
      const sshd = ssh.svc.ssh.build({ hostKey: outputRef(vault, "ssh/host_key"), hostKeys: "/persist/ssh" });
      return defineConfig({ imports: [ssh], services: { vault, sshd } });
    },
    path: "services.sshd.hostKey",
    problem: /^and hostKeys both give the host key: keep one$/,
  },
  // bridge members and VLANs: interfaces by their ifname output, VLAN ids of 802.1Q
  {
    what: "a bridge member that is not an interface",
    config: () =>
      withService([bridge], (lan) =>
        bridge.svc.members.build({
          primary: bridge.svc.primary.build({ ifname: "br0" }),
          members: [lan, longrun({ name: "not-a-link", run: "exec sleep 1d" })],
        }),
      ),
    path: "services.it.members[1]",
    problem: /not-a-link declares no output ifname: it must be an interface/,
  },
  ...[0, 4095].map((vid): Bad => ({
    what: `VLAN id ${vid}`,
    config: () => withService([vlan], (lan) => vlan.svc.vlan.build({ ifname: "lan.mgmt", primary: lan, vid })),
    path: "services.it.vid",
    problem: vid === 0 ? /Too small: expected number to be >=1/ : /Too big: expected number to be <=4094/,
  })),
  // the profiles: radios and LAN ports are interfaces, channels the band's, WPA's passphrase lengths
  ...(
    [
      [
        "a channel of another band",
        { band: "a", channel: 6 },
        "channel",
        /^6 is no 5 GHz channel \(band "a": 36–64, 100–144 or 149–177 in steps of 4\)$/,
      ],
      ["a passphrase of 7 characters", { passphrase: "1234567" }, "passphrase", /^must be 8 to 63 characters$/],
      ["a passphrase of 64 characters", { passphrase: "x".repeat(64) }, "passphrase", /^must be 8 to 63 characters/],
      ["a radio that is no interface", { interface: "not a service" }, "interface", /^expected a service$/],
    ] as const
  ).map(([what, change, key, problem]): Bad => ({
    what: `gateway: ${what}`,
    config: () => gatewayWith({ wireless: { home: { ...wifi(), ...change } } }),
    path: `services.it.wireless.home.${key}`,
    problem,
  })),
  {
    what: "gateway: a LAN port that is not an interface",
    config: () =>
      gatewayWith({
        lan: {
          interfaces: [longrun({ name: "not-a-link", run: "exec sleep 1d" })],
          address: "10.0.0.1",
          prefixLength: 24,
        },
      }),
    path: "services.it.lan.interfaces[0]",
    problem: /not-a-link declares no output ifname: it must be an interface/,
  },
  {
    what: "gateway: a WAN type it does not know",
    config: () => gatewayWith({ wan: { type: "pptp", interface: network.svc.link.build({ ifname: "eth0" }) } }),
    path: "services.it.wan.type",
    problem: /Expected 'pppoe' \| 'dhcp' \| 'l2tp'/,
  },
  {
    what: "gateway: an L2TP WAN without the l2tp module",
    config: () => gatewayWith({ wan: { type: "l2tp", interface: network.svc.link.build({ ifname: "eth0" }) } }),
    path: "services.it.dependencies[2]",
    problem: /template l2tp belongs to module l2tp \(services\/ppp\/l2tp\.ts:\d+\), which is not imported/,
    file: /^services\/profiles\/gateway\.ts:\d+$/,
  },
  {
    what: "wap: a management VLAN id 4095",
    config: () => withService([wap], (lan) => wap.svc.wap.build({ interfaces: [lan], management: { vid: 4095 } })),
    path: "services.it.management.vid",
    problem: /Too big: expected number to be <=4094/,
  },
];

/**
 * How `bad` fails to be refused as it must: [] when evaluating and compiling it ends in one
 * configuration error of one line naming its option, its problem and the file:line that set it.
 */
export async function judge(bad: Bad): Promise<string[]> {
  let e: unknown;
  try {
    compile(evaluate(await bad.config(), testDevice));
    return ["accepted"];
  } catch (thrown) {
    e = thrown;
  }
  if (!(e instanceof ConfigError))
    return [`not a configuration error: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`];
  const wrong: string[] = [];
  if (e.path !== bad.path) wrong.push(`names the option ${e.path}, not ${bad.path}`);
  if (!(bad.file ?? here).test(e.file)) wrong.push(`names the file ${e.file}, not one matching ${bad.file ?? here}`);
  if (!bad.problem.test(e.problem)) wrong.push(`says "${e.problem}", not ${bad.problem}`);
  if (e.message.includes("\n")) wrong.push(`takes more than one line: ${JSON.stringify(e.message)}`);
  return wrong;
}
