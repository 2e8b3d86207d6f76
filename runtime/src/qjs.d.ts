// Types for the parts of QuickJS-ng's built-in modules the device program uses.
declare module "qjs:std" {
  export function exit(code: number): never;
  export function getenv(name: string): string | undefined;
  export function getenviron(): Record<string, string>;
  export function strerror(errno: number): string;
  export function loadFile(path: string): string | null;
  export function writeFile(path: string, data: string | ArrayBuffer): void;
  export function gc(): void;
  export interface FILE {
    puts(s: string): void;
    printf(fmt: string, ...args: unknown[]): void;
    flush(): void;
    close(): number;
    getline(): string | null;
    readAsString(max?: number): string;
  }
  export const out: FILE;
  export const err: FILE;

  export function open(path: string, mode: string, errorObj?: { errno?: number }): FILE | null;
}

declare module "qjs:os" {
  export const platform: string;
  export function open(path: string, flags: number, mode?: number): number;
  export function close(fd: number): number;
  export function read(fd: number, buf: ArrayBuffer, offset: number, length: number): number;
  export function write(fd: number, buf: ArrayBuffer, offset: number, length: number): number;
  export function remove(path: string): number;
  export function rename(from: string, to: string): number;
  export function mkdir(path: string, mode?: number): number;
  export function readdir(path: string): [string[], number];
  export function stat(path: string): [
    {
      mode: number;
      size: number;
      mtime: number;
      uid: number;
      gid: number;
      ino: number;
      dev: number;
      rdev: number;
      nlink: number;
    },
    number,
  ];
  export function lstat(path: string): ReturnType<typeof stat>;
  export function readlink(path: string): [string, number];
  export function symlink(target: string, path: string): number;
  export function realpath(path: string): [string, number];
  export function getcwd(): [string, number];
  export function chdir(path: string): number;
  export function getpid(): number;
  export function waitpid(pid: number, options: number): [number, number];
  export function kill(pid: number, sig: number): number;
  export function pipe(): [number, number] | null;
  export function dup2(fd: number, fd2: number): number;
  export function sleep(ms: number): void;
  export function sleepAsync(ms: number): Promise<void>;
  export function now(): number;
  export function setTimeout(fn: () => void, ms: number): unknown;
  export function clearTimeout(handle: unknown): void;
  export function setReadHandler(fd: number, fn: (() => void) | null): void;
  export function setWriteHandler(fd: number, fn: (() => void) | null): void;
  export function signal(sig: number, fn: (() => void) | null | undefined): void;
  export const O_RDONLY: number;
  export const O_WRONLY: number;
  export const O_RDWR: number;
  export const O_CREAT: number;
  export const O_EXCL: number;
  export const O_TRUNC: number;
  export const O_APPEND: number;
  export const S_IFMT: number;
  export const S_IFDIR: number;
  export const S_IFREG: number;
  export const S_IFLNK: number;
  export const SIGINT: number;
  export const SIGTERM: number;
  export const SIGQUIT: number;
  export const SIGPIPE: number;
  export const SIGALRM: number;
  export const SIGUSR1: number;
  export const SIGUSR2: number;
  export const SIGCHLD: number;
  export const WNOHANG: number;
}

/** Program arguments, argv[0] first (set by js_std_add_helpers). */
declare const scriptArgs: string[];
declare const console: { log(...args: unknown[]): void };
