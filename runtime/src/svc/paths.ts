// Where svc finds its files. LIMEN_ROOT prefixes them all, so that tests (and a build host) can
// run svc against a directory tree of their own instead of the real / .
import * as std from "qjs:std";

const root = std.getenv("LIMEN_ROOT") ?? "";

export const paths = {
  /** The root itself, for what boot mounts (proc, sys, dev, run). */
  root,
  hostname: `${root}/etc/hostname`,
  database: `${root}/etc/limen/services.json`,
  /** s6 service directories of longruns, as the image holds them (read-only). */
  longruns: `${root}/etc/limen/s6`,
  oneshots: `${root}/etc/limen/oneshot`,
  /** s6-svscan's scan directory. */
  scan: `${root}/run/service`,
  outputs: `${root}/run/services/outputs`,
  /** Secret file templates of services (the image's), and where they are rendered. */
  secretSpecs: `${root}/etc/limen/secrets`,
  secrets: `${root}/run/secrets`,
  /** One file per oneshot that is up, the lock, and the shutdown action. */
  state: `${root}/run/services/state`,
  /** FIFO read by the catch-all logger; s6-svscan's output goes there too. */
  logFifo: `${root}/run/services/log.fifo`,
  /** The catch-all logger's settings (its folder and s6-log script: see logging.ts). */
  logging: `${root}/etc/limen/logging.json`,
};
