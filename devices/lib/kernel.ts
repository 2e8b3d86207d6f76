// What a kernel built from source on tinyconfig needs on any device to boot and run Limen: the
// console and kernel messages, ELF and script executables, devtmpfs, proc and sys, pseudo-terminals
// (devpts, for ssh sessions) and tmpfs (/run, /tmp), the system calls busybox, s6 and the runtime
// use, unix and inet sockets, block devices.
export const limenKernelConfig: Record<string, string> = {
  PRINTK: "y",
  TTY: "y",
  UNIX98_PTYS: "y",
  BINFMT_ELF: "y",
  BINFMT_SCRIPT: "y",
  DEVTMPFS: "y",
  DEVTMPFS_MOUNT: "y",
  PROC_FS: "y",
  SYSFS: "y",
  SHMEM: "y",
  TMPFS: "y",
  MULTIUSER: "y",
  FUTEX: "y",
  EPOLL: "y",
  SIGNALFD: "y",
  TIMERFD: "y",
  EVENTFD: "y",
  FILE_LOCKING: "y",
  POSIX_TIMERS: "y",
  INOTIFY_USER: "y",
  NET: "y",
  UNIX: "y",
  INET: "y",
  PACKET: "y",
  NETDEVICES: "y",
  BLOCK: "y",
  MISC_FILESYSTEMS: "y",
};

/**
 * Added where flash is not tight (NAND boards, QEMU): an initramfs, loadable modules, the wireless
 * stack and block device drivers. The 16 MB NOR boards leave them out to keep their images small.
 */
export const roomyKernelConfig: Record<string, string> = {
  ...limenKernelConfig,
  BLK_DEV_INITRD: "y",
  RD_GZIP: "y",
  WIRELESS: "y",
  BLK_DEV: "y",
  MODULES: "y",
  MODULE_UNLOAD: "y",
};

/**
 * Every MIPS kernel: Debian's mipsel and mips userland is built for a hardware FPU, which the
 * routers' 24K cores lack, so the kernel emulates its instructions (without it they are SIGILL);
 * and, being 32-bit, it calls the system calls with 32-bit times (s6's ppoll among them, ENOSYS
 * without COMPAT_32BIT_TIME).
 */
export const mipsKernelConfig: Record<string, string> = { MIPS_FP_SUPPORT: "y", COMPAT_32BIT_TIME: "y" };
