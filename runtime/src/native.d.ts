// limen:native (runtime/native/*.c, one file per domain). Failures throw NativeError.
declare module "limen:native" {
  /** An Error from a failed kernel call: `message` starts with `code` and names the call and its argument. */
  export interface NativeError extends Error {
    code: string;
    errno: number;
    syscall: string;
    path?: string;
  }

  export const cpu: string;
  export const engineVersion: string;

  export function mount(
    source: string | null,
    target: string,
    fstype: string | null,
    flags: number,
    data?: string,
  ): void;
  export function umount(target: string, flags?: number): void;
  export function chroot(path: string): void;
  export function pivotRoot(newRoot: string, putOld: string): void;
  export function mknod(path: string, mode: number, major: number, minor: number): void;
  export function chmod(path: string, mode: number): void;
  export function chown(path: string, uid: number, gid: number): void;
  export function umask(mask: number): number;
  export function sethostname(name: string): void;
  export function setsid(): number;
  export function sync(): void;
  export function reboot(action: "restart" | "halt" | "poweroff"): never;

  export interface SpawnOptions {
    /** Program to run; searched in PATH when it has no slash. Defaults to argv[0]. */
    file?: string;
    cwd?: string;
    uid?: number;
    gid?: number;
    /** Supplementary groups; defaults to [gid] when gid is set. */
    groups?: number[];
    umask?: number;
    newSession?: boolean;
    /** Child fd i is a copy of fds[i] (-1 closes it). Every other fd is closed. Default: keep 0, 1, 2. */
    fds?: number[];
  }
  /** Starts a process with a clean signal mask and default handlers; returns its pid. Exec failures throw. */
  export function spawn(argv: string[], env: string[], options: SpawnOptions): number;

  export function unixListen(path: string, datagram?: boolean): number;
  export function unixConnect(path: string, datagram?: boolean): number;
  export function accept(fd: number): number | null;
  export function netlinkOpen(protocol: number, groups: number): number;
  /** One message into `buffer`: [its length, the sender's port id (0: the kernel)]; null when none is waiting. */
  export function netlinkReceive(fd: number, buffer: ArrayBuffer): [number, number] | null;

  export interface InotifyEvent {
    wd: number;
    mask: number;
    cookie: number;
    name: string;
  }
  /** Loads a kernel module (.ko) with optional parameters; false when it is loaded already. */
  export function loadModule(path: string, params?: string): boolean;

  export function inotifyInit(): number;
  export function inotifyAddWatch(fd: number, path: string, mask: number): number;
  export function inotifyRmWatch(fd: number, wd: number): void;
  export function inotifyRead(fd: number): InotifyEvent[];

  /** Opens (creating) `path` and waits for an exclusive flock on it; returns the fd that holds the lock. */
  /** An fd holding an exclusive lock on path; with wait false, -1 when another holds it. */
  export function lockFile(path: string, wait?: boolean): number;
  /** An fd that becomes readable when child `pid` has ended (then reap it with waitpid). */
  export function pidfdOpen(pid: number): number;
  /** Swaps two existing paths, directories too, in one step: readers see one or the other, never a mix. */
  export function renameExchange(a: string, b: string): void;
  /** Replaces this program (PATH searched when argv[0] has no slash); returns only by throwing. */
  export function exec(argv: string[], env: string[]): never;

  // Crypto (runtime/native/crypto.c, BearSSL). Byte strings are ArrayBuffers; points are uncompressed (0x04 ‖ X ‖ Y).
  export type Curve = "P-256" | "P-384" | "P-521";
  export function sha256(data: ArrayBuffer): ArrayBuffer;
  /**
   * x·a + y·b (b null: the curve's generator); x, y unsigned big-endian in 1..order-1. Throws on an invalid point or an
   * infinite result.
   */
  export function ecMulAdd(
    curve: Curve,
    a: ArrayBuffer,
    b: ArrayBuffer | null,
    x: ArrayBuffer,
    y: ArrayBuffer,
  ): ArrayBuffer;
  /** The plaintext, or null when the tag does not authenticate ciphertext and aad. */
  export function aesGcmDecrypt(
    key: ArrayBuffer,
    iv: ArrayBuffer,
    aad: ArrayBuffer,
    ciphertext: ArrayBuffer,
    tag: ArrayBuffer,
  ): ArrayBuffer | null;
  /** n (≤ 1024) bytes from the kernel's random pool. */
  export function randomBytes(n: number): ArrayBuffer;

  // TCP and TLS clients (runtime/native/tcp.c, tls.c). Calls block, each bounded by timeoutMs;
  // a timeout throws ETIMEDOUT, an unknown host ENOTFOUND, a TLS failure ETLS naming the reason.
  /** A connected, non-blocking, close-on-exec socket to the first of host's addresses that accepts. */
  export function tcpConnect(host: string, port: number, timeoutMs: number): number;
  /** Up to max (≤ 16384) bytes; empty at the end of the stream. */
  export function sockRead(fd: number, max: number, timeoutMs: number): ArrayBuffer;
  export function sockWrite(fd: number, data: ArrayBuffer, timeoutMs: number): void;

  export interface TlsOptions {
    /** PEM CA bundle: the server's chain must lead to one of these. */
    ca: string;
    /** PEM client certificate chain and its private key (RSA or EC), for servers that ask. */
    cert?: string;
    key?: string;
  }
  /** An open TLS session; it owns its socket. */
  export interface TlsSession {
    readonly __tlsSession: unique symbol;
  }
  /**
   * TLS 1.2 handshake on a tcpConnect socket, checking the server's certificate for host; takes the fd over (closes it
   * on failure).
   */
  export function tlsConnect(fd: number, host: string, options: TlsOptions, timeoutMs: number): TlsSession;
  export function tlsWrite(session: TlsSession, data: ArrayBuffer, timeoutMs: number): void;
  /** Up to max (≤ 16384) bytes; empty when the server closed the session. */
  export function tlsRead(session: TlsSession, max: number, timeoutMs: number): ArrayBuffer;
  /** Ends the session and closes its socket; calling it again does nothing. */
  export function tlsClose(session: TlsSession): void;

  export const MS_RDONLY: number;
  export const MS_NOSUID: number;
  export const MS_NODEV: number;
  export const MS_NOEXEC: number;
  export const MS_REMOUNT: number;
  export const MS_BIND: number;
  export const MS_MOVE: number;
  export const MS_REC: number;
  export const MS_PRIVATE: number;
  export const MS_RELATIME: number;
  export const MNT_FORCE: number;
  export const MNT_DETACH: number;
  export const S_IFCHR: number;
  export const S_IFBLK: number;
  export const S_IFIFO: number;
  /** For qjs:os open(); its value differs between CPUs (MIPS). */
  export const O_NONBLOCK: number;
  export const NETLINK_ROUTE: number;
  export const NETLINK_KOBJECT_UEVENT: number;
  export const IN_MODIFY: number;
  export const IN_ATTRIB: number;
  export const IN_CLOSE_WRITE: number;
  export const IN_MOVED_FROM: number;
  export const IN_MOVED_TO: number;
  export const IN_CREATE: number;
  export const IN_DELETE: number;
  export const IN_DELETE_SELF: number;
  export const IN_MOVE_SELF: number;
  export const IN_ISDIR: number;
  export const IN_IGNORED: number;
  export const IN_Q_OVERFLOW: number;
}

/** Injected by the bundler from package.json. */
declare const LIMEN_VERSION: string;
