// What init reads of the image's accounts (/etc/passwd and /etc/group, written by the host
// compiler): the users' homes and the tty group. A malformed line is reported and skipped: process
// 1 goes on booting so that a person can log in and fix it.
import * as std from "qjs:std";

export interface Account {
  name: string;
  uid: number;
  gid: number;
  home: string;
}

/** The lines of a colon-separated file with exactly `fields` fields and numeric `numeric` fields; none when missing. */
function records(path: string, fields: number, numeric: number[]): string[][] {
  const text = std.loadFile(path);
  if (text === null) return [];
  const out: string[][] = [];
  text.split("\n").forEach((line, i) => {
    if (line === "") return;
    const f = line.split(":");
    if (f.length !== fields || numeric.some((n) => !/^\d+$/.test(f[n]))) {
      std.err.puts(`init: ${path}:${i + 1}: not a valid line (${fields} fields expected), skipped\n`);
      return;
    }
    out.push(f);
  });
  return out;
}

export function readPasswd(path: string): Account[] {
  return records(path, 7, [2, 3]).map((f) => ({ name: f[0], uid: Number(f[2]), gid: Number(f[3]), home: f[5] }));
}

/** The gid of group `name`, null when the file has no such group. */
export function groupId(path: string, name: string): number | null {
  const found = records(path, 4, [2]).find((f) => f[0] === name);
  return found ? Number(found[2]) : null;
}
