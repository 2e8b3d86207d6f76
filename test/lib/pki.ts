// Test certificates made by openssl in one folder: certificate authorities and the certificates
// they sign, each as NAME.key and NAME.pem, RSA-2048 or P-256.
import { spawnSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { ensureCommands } from "../../image/lib/host-programs.ts";

export interface KeyOptions {
  /** P-256 instead of RSA-2048. */
  ec?: boolean;
  /** Subject CN; the name by default. */
  cn?: string;
}

export class TestPki {
  constructor(readonly dir: string) {
    ensureCommands(["openssl"]);
  }

  path(file: string): string {
    return join(this.dir, file);
  }

  private openssl(...args: string[]): void {
    const r = spawnSync("openssl", args, { cwd: this.dir, encoding: "utf8" });
    if (r.status !== 0) throw new Error(`openssl ${args.join(" ")}: ${r.stderr}`);
  }

  private key(name: string, ec: boolean): void {
    if (ec) this.openssl("ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", `${name}.key`);
    else this.openssl("genrsa", "-out", `${name}.key`, "2048");
  }

  /**
   * A self-signed certificate valid two days: a CA by default; with `extensions`, those instead
   * (e.g. subjectAltName for a server that is its own trust anchor).
   */
  selfSigned(name: string, o: KeyOptions & { extensions?: string[] } = {}): { key: string; cert: string } {
    this.key(name, o.ec ?? false);
    const extensions = o.extensions ?? ["basicConstraints=critical,CA:TRUE", "keyUsage=critical,keyCertSign,cRLSign"];
    this.openssl(
      "req",
      "-x509",
      "-new",
      "-key",
      `${name}.key`,
      "-out",
      `${name}.pem`,
      "-days",
      "2",
      "-subj",
      `/CN=${o.cn ?? name}`,
      ...extensions.flatMap((e) => ["-addext", e]),
    );
    return { key: this.path(`${name}.key`), cert: this.path(`${name}.pem`) };
  }

  /** A certificate for `name` signed by the CA `ca` (made by selfSigned), with `ext` as its extension file. */
  issue(name: string, ca: string, ext: string, o: KeyOptions = {}): { key: string; cert: string } {
    this.key(name, o.ec ?? false);
    this.openssl("req", "-new", "-key", `${name}.key`, "-out", `${name}.csr`, "-subj", `/CN=${o.cn ?? name}`);
    writeFileSync(this.path(`${name}.ext`), ext);
    this.openssl(
      "x509",
      "-req",
      "-in",
      `${name}.csr`,
      "-CA",
      `${ca}.pem`,
      "-CAkey",
      `${ca}.key`,
      "-CAcreateserial",
      "-out",
      `${name}.pem`,
      "-days",
      "2",
      "-extfile",
      `${name}.ext`,
    );
    return { key: this.path(`${name}.key`), cert: this.path(`${name}.pem`) };
  }
}
