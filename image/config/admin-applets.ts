// The busybox applets a person administering a router expects at its shell, linked unless
// programs.busybox.adminApplets is false. Each is in Debian bookworm's busybox (the image's)
// and busybox-static. The system's own scripts need none of them: a module whose services run
// one asks for it in programs.busybox.applets, so it stays when these go. Leaving them out saves
// only their links (228 bytes of rotuer's squashfs for gl-mt300n-v2, no flash once padded to the
// erase block): busybox is one program with every applet Debian built into it.
export const adminApplets = [
  // processes and resources
  "ps",
  "top",
  "kill",
  "killall",
  "pidof",
  "free",
  "df",
  "du",
  "uptime",
  "dmesg",
  "sysctl",
  // the network
  "ip",
  "ping",
  "ping6",
  "traceroute",
  "traceroute6",
  "nslookup",
  "netstat",
  "wget",
  // files and text
  "vi",
  "less",
  "grep",
  "sed",
  "awk",
  "find",
  "xargs",
  "tee",
  "touch",
  "cp",
  "mv",
  "date",
  "which",
];
