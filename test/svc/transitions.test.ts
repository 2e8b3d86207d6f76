// svc start/stop/restart/up-tree over a live s6-svscan: ordering, parallelism, readiness,
// timeouts, failures skipping dependents, cascades, controlled services and the lock.
import { existsSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { afterEach, describe, expect, it } from "vitest";
import { Bed, type Fixture } from "./bed.ts";
import { until } from "../lib/until.ts";

/** A script line appending "<word> <service>" to the events file. */
const note = (word: string): string => `echo "${word} $SERVICE" >> events`;
/** Waits up to 5 s for a file, failing the script when it never comes. */
const awaitFile = (file: string): string =>
  `i=0; while [ ! -e ${file} ]; do i=$((i+1)); [ $i -gt 100 ] && exit 1; sleep 0.05; done`;

let bed: Bed | null = null;
async function start(services: Record<string, Fixture>): Promise<Bed> {
  bed = new Bed(services);
  await bed.start();
  return bed;
}
afterEach(async () => {
  await bed?.stop();
  bed = null;
});

const state = (b: Bed, name: string) => JSON.parse(b.svc("status", "--json", name).stdout) as Record<string, unknown>;

describe("svc start", () => {
  it("brings dependencies up first, waiting for readiness when a service notifies it", async () => {
    const b = await start({
      a: { type: "oneshot", up: note("up") },
      // b is slow to be ready: c must not start before b wrote its ready line
      b: {
        type: "longrun",
        dependencies: ["a"],
        notificationFd: 3,
        run: `echo "up b" >> events; sleep 0.5; echo "ready b" >> events; echo >&3; exec sleep 1000`,
      },
      c: { type: "oneshot", dependencies: ["b"], up: note("up") },
      d: { type: "oneshot", dependencies: ["c"], up: note("up") },
    });
    const r = b.svc("start", "c");
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(b.events()).toEqual(["up a", "up b", "ready b", "up c"]);
    expect(b.svc("list").stdout).toBe("a\nb\nc\n");
    expect(state(b, "b")).toMatchObject({ state: "up", ready: true, supervised: true });
    expect(state(b, "b").pid).toBeGreaterThan(1);
    expect(b.svc("start", "c").code).toBe(0);
    expect(b.events()).toHaveLength(4);
  });

  it("runs independent transitions in parallel", async () => {
    // each waits for the other to have started: run one after the other, the first would fail
    const b = await start({
      p: { type: "oneshot", up: `touch p.started; ${awaitFile("q.started")}; ${note("up")}` },
      q: { type: "oneshot", up: `touch q.started; ${awaitFile("p.started")}; ${note("up")}` },
      r: { type: "longrun", run: `touch r.started; exec sleep 1000` },
      s: { type: "oneshot", up: `${awaitFile("r.started")}; ${note("up")}` },
      all: { type: "bundle", dependencies: ["p", "q", "s"] },
    });
    const r = b.svc("start", "all", "r");
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(b.events().sort()).toEqual(["up p", "up q", "up s"]);
    expect(b.svc("list").stdout).toBe("all\np\nq\nr\ns\n");
  });

  it("stops a longrun that is not ready within timeout-up, marks it down, skips its dependents and exits 2", async () => {
    const b = await start({
      slow: { type: "longrun", notificationFd: 3, timeoutUp: 400, run: `echo "run slow" >> events; exec sleep 1000` },
      after: { type: "oneshot", dependencies: ["slow"], up: note("up") },
    });
    const r = b.svc("start", "after");
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("svc: slow: not ready after 400 ms: stopping it");
    expect(r.stderr).toContain("svc: after: skipped, slow did not come up");
    expect(b.events().filter((e) => e.startsWith("up"))).toEqual([]);
    expect(state(b, "slow")).toMatchObject({ state: "down", pid: 0 });
    expect(b.svc("list", "--down").stdout).toBe("after\nslow\n");
  });

  it("lets s6 restart a notifying longrun that keeps dying until timeout-up passes, then marks it down", async () => {
    const b = await start({
      flaky: { type: "longrun", notificationFd: 3, timeoutUp: 4000, run: `echo "run flaky" >> events; exit 1` },
    });
    const r = b.svc("start", "flaky");
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("svc: flaky: not ready after 4000 ms: stopping it");
    // s6 waits a second between restarts of a process that died young: 4 s leave room for a second run under load
    expect(b.events().length).toBeGreaterThanOrEqual(2);
    expect(state(b, "flaky")).toMatchObject({ state: "down", pid: 0, lastExit: 1 });
  });

  it("stops a oneshot whose up script outlives timeout-up, and exits 2", async () => {
    const b = await start({ stuck: { type: "oneshot", timeoutUp: 1000, up: `${note("up")}; exec sleep 1000` } });
    const r = b.svc("start", "stuck");
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("svc: stuck: up script did not finish within 1000 ms");
    expect(b.events()).toEqual(["up stuck"]);
    expect(b.svc("list", "--down").stdout).toBe("stuck\n");
  });

  it("ends a timed-out oneshot's whole process group: SIGTERM, then SIGKILL for what ignores it", async () => {
    const b = await start({
      stuck: {
        type: "oneshot",
        timeoutUp: 500,
        // one child ignores SIGTERM (an ignored signal stays ignored across exec), one does not
        up: `(trap "" TERM; exec sleep 1000) & echo $! > deaf.pid; sleep 1000 & echo $! > plain.pid; wait`,
      },
    });
    const r = b.svc("start", "stuck");
    expect(r.code).toBe(2);
    // gone, or a zombie nobody has reaped yet: either way it runs no more
    const running = (file: string) => {
      const pid = readFileSync(b.path(file), "utf8").trim();
      return existsSync(`/proc/${pid}`) && !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, "utf8"));
    };
    expect(running("plain.pid")).toBe(false);
    expect(running("deaf.pid")).toBe(false);
  });

  it("refuses a change from a oneshot's script, which runs holding the lock, instead of waiting for itself", async () => {
    const b = await start({
      other: { type: "oneshot", up: note("up") },
      // reads svc's state (no lock needed), then tries a change
      caller: {
        type: "oneshot",
        timeoutUp: 20_000,
        up: `svc list --all > list.txt; svc start other 2> err.txt; echo "rc=$?" >> err.txt`,
      },
    });
    const r = b.svc("start", "caller");
    expect(r.code).toBe(0);
    expect(readFileSync(b.path("err.txt"), "utf8")).toBe(
      "svc: start: called from caller's script, which runs while svc holds its lock: it would wait for itself (make what it starts a dependency instead)\nrc=1\n",
    );
    expect(readFileSync(b.path("list.txt"), "utf8")).toContain("other down oneshot");
    expect(b.events()).toEqual([]);
  });

  it("skips what needs a failed oneshot, still starts the rest, and exits 1", async () => {
    const b = await start({
      bad: { type: "oneshot", up: `${note("up")}; exit 3` },
      needsBad: { type: "oneshot", dependencies: ["bad"], up: note("up") },
      other: { type: "oneshot", up: note("up") },
    });
    const r = b.svc("start", "needsBad", "other");
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("svc: bad: up script exited 3");
    expect(r.stderr).toContain("svc: needsBad: skipped, bad did not come up");
    expect(b.events().sort()).toEqual(["up bad", "up other"]);
    expect(b.svc("list").stdout).toBe("other\n");
  });

  it("serialises concurrent calls: the second waits for the lock", async () => {
    const slow = `echo "enter $SERVICE" >> events; sleep 0.4; echo "leave $SERVICE" >> events`;
    const b = await start({ x: { type: "oneshot", up: slow }, y: { type: "oneshot", up: slow } });
    const [rx, ry] = await Promise.all([b.svcAsync("start", "x"), b.svcAsync("start", "y")]);
    expect([rx.code, ry.code]).toEqual([0, 0]);
    const ev = b.events();
    expect(ev).toHaveLength(4);
    // whichever came first, it finished before the other began
    expect(ev[0].split(" ")[0]).toBe("enter");
    expect(ev[1]).toBe(ev[0].replace("enter", "leave"));
    expect(ev[3]).toBe(ev[2].replace("enter", "leave"));
  });
});

describe("svc stop, restart and up-tree", () => {
  // a and c notify readiness once they wrote their line, so the events come in dependency order
  const chain = (): Record<string, Fixture> => ({
    a: { type: "longrun", notificationFd: 3, run: `echo "run a" >> events; echo >&3; exec sleep 1000` },
    b: { type: "oneshot", dependencies: ["a"], up: note("up"), down: note("down") },
    c: {
      type: "longrun",
      notificationFd: 3,
      dependencies: ["b"],
      run: `echo "run c" >> events; echo >&3; exec sleep 1000`,
    },
    other: { type: "oneshot", up: note("up"), down: note("down") },
  });

  it("stop takes down what depends on the service first, and leaves the rest up", async () => {
    const b = await start(chain());
    expect(b.svc("start", "c", "other").code).toBe(0);
    const pid = state(b, "c").pid as number;
    expect(pid).toBeGreaterThan(1);
    const r = b.svc("stop", "a");
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(b.svc("list").stdout).toBe("other\n");
    expect(b.events().filter((e) => e.startsWith("down"))).toEqual(["down b"]);
    expect(state(b, "c")).toMatchObject({ state: "down", pid: 0 });
    expect(existsSync(`/proc/${pid}`)).toBe(false);
  });

  it("restart stops and starts the service and what was up above it", async () => {
    const b = await start(chain());
    expect(b.svc("start", "c").code).toBe(0);
    const before = state(b, "a").pid;
    expect(b.svc("restart", "a").code).toBe(0);
    expect(b.svc("list").stdout).toBe("a\nb\nc\n");
    expect(state(b, "a").pid).not.toBe(before);
    expect(b.events()).toEqual(["run a", "up b", "run c", "down b", "run a", "up b", "run c"]);
  });

  it("up-tree starts dependents but not those needing a controlled service that is down", async () => {
    const b = await start({
      base: { type: "oneshot", up: note("up") },
      web: { type: "oneshot", dependencies: ["base"], up: note("up") },
      usb: { type: "oneshot", controlled: true, dependencies: ["base"], up: note("up") },
      backup: { type: "oneshot", dependencies: ["usb"], up: note("up") },
    });
    expect(b.svc("up-tree", "base").code).toBe(0);
    expect(b.svc("list").stdout).toBe("base\nweb\n");
    expect(b.svc("start", "usb").code).toBe(0);
    expect(b.svc("stop", "web").code).toBe(0);
    expect(b.svc("up-tree", "base").code).toBe(0);
    expect(b.svc("list").stdout).toBe("backup\nbase\nusb\nweb\n");
  });

  it("svc status says why a service did not come up, until it does", async () => {
    const b = await start({
      // a device that is not there, as a radio's link finds it
      link: { type: "oneshot", up: '[ -e here ] || { echo "no interface wlan9" >&2; exit 1; }' },
      ap: { type: "oneshot", dependencies: ["link"], up: note("up") },
      other: { type: "oneshot", up: note("up") },
    });
    expect(b.svc("boot").code).toBe(1);
    expect(b.svc("status", "link").stdout).toMatch(/^link down oneshot failed: up script exited 1$/m);
    expect(b.svc("status", "ap").stdout).toMatch(/^ap down oneshot failed: skipped, link did not come up$/m);
    expect(state(b, "ap")).toMatchObject({ state: "down", failed: "skipped, link did not come up" });
    // the rest came up
    expect(b.svc("status", "other").stdout).toMatch(/^other up oneshot since=/);
    writeFileSync(b.path("here"), "");
    expect(b.svc("start", "ap").code).toBe(0);
    expect(b.svc("status", "link", "ap").stdout).not.toContain("failed");
  });

  it("boot starts the default set: everything but controlled services and what needs them", async () => {
    const b = await start({
      base: { type: "longrun" },
      web: { type: "oneshot", dependencies: ["base"] },
      usb: { type: "oneshot", controlled: true },
      backup: { type: "oneshot", dependencies: ["usb", "base"] },
    });
    expect(b.svc("boot").code).toBe(0);
    expect(b.svc("list").stdout).toBe("base\nweb\n");
    // svc init linked only the longrun (and the catch-all logger) into the scan directory
    expect(
      readdirSync(b.layout.scan)
        .filter((d) => !d.startsWith("."))
        .sort(),
    ).toEqual(["base", "s6-svscan-log"]);
  });

  it("boot leaves a longrun not ready in time starting and starts what needs it once it is ready", async () => {
    const b = await start({
      // a server that answers after the timeout, as a vault can at boot
      slow: {
        type: "longrun",
        notificationFd: 3,
        timeoutUp: 400,
        run: `${note("run")}; while [ ! -e go ]; do sleep 0.05; done; echo >&3; exec sleep 1000`,
      },
      after: { type: "oneshot", dependencies: ["slow"], up: note("up") },
      other: { type: "oneshot", up: note("up") },
      later: { type: "oneshot", up: note("up"), controlled: true },
    });
    const booting = b.svcAsync("boot");
    await until("after waiting for slow", () => b.svc("status", "after").stdout.includes("waiting-for=slow"));
    expect(b.svc("status", "slow").stdout).toMatch(/^slow up longrun pid=\d+ ready=no/);
    expect(b.events()).toEqual(expect.arrayContaining(["up other"]));
    expect(b.events()).not.toContain("up after");
    // boot holds no lock while it waits: an admin's svc works meanwhile
    expect(b.svc("start", "later").code).toBe(0);
    writeFileSync(b.path("go"), "");
    const r = await booting;
    expect(r.stderr).toContain(
      "svc: slow: not ready after 400 ms: left starting, what needs it waits until it is ready",
    );
    expect(r.code).toBe(0);
    expect(b.events().filter((e) => e === "up after")).toHaveLength(1);
    expect(b.svc("status", "after").stdout).toMatch(/^after up oneshot/);
    expect(b.svc("status", "after").stdout).not.toContain("waiting-for");
  });

  it("boot holds the lock a moment only while a longrun gets ready within its timeout", async () => {
    const b = await start({
      // ready when told, long before its timeout: boot must not wait for it holding the lock
      slow: {
        type: "longrun",
        notificationFd: 3,
        timeoutUp: 600_000,
        run: "while [ ! -e go ]; do sleep 0.05; done; echo >&3; exec sleep 1000",
      },
      after: { type: "oneshot", dependencies: ["slow"], up: note("up") },
      later: { type: "oneshot", up: note("up"), controlled: true },
    });
    const booting = b.svcAsync("boot");
    await until("after waiting for slow", () => b.svc("status", "after").stdout.includes("waiting-for=slow"));
    // a controller's start goes through while slow is still getting ready
    expect(b.svc("start", "later").code).toBe(0);
    expect(b.events()).toEqual(["up later"]);
    writeFileSync(b.path("go"), "");
    const r = await booting;
    expect(r.code).toBe(0);
    expect(r.stderr).not.toContain("not ready after");
    expect(b.events()).toEqual(["up later", "up after"]);
  });

  it("boot gives up a slow longrun someone stops meanwhile, leaves what needs it down and exits 2", async () => {
    const b = await start({
      slow: { type: "longrun", notificationFd: 3, timeoutUp: 400, run: "exec sleep 1000" },
      after: { type: "oneshot", dependencies: ["slow"], up: note("up") },
    });
    const booting = b.svcAsync("boot");
    await until("after waiting for slow", () => b.svc("status", "after").stdout.includes("waiting-for=slow"));
    expect(b.svc("stop", "slow").code).toBe(0);
    const r = await booting;
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("svc: slow: stopped while boot waited for it: what needs it stays down");
    expect(b.events()).toEqual([]);
    expect(b.svc("list", "--down").stdout).toBe("after\nslow\n");
  });

  it("stop --all takes everything down, dependents before what they need (shutdown)", async () => {
    const b = await start({
      a: { type: "oneshot", up: note("up"), down: note("down") },
      b: { type: "oneshot", dependencies: ["a"], up: note("up"), down: note("down") },
      c: { type: "longrun", dependencies: ["b"], run: `exec sleep 1000` },
      d: { type: "oneshot", dependencies: ["c"], up: note("up"), down: note("down") },
    });
    expect(b.svc("start", "d").code).toBe(0);
    expect(b.svc("stop").code).toBe(100);
    expect(b.svc("stop", "--all", "a").code).toBe(100);
    const r = b.svc("stop", "--all");
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(b.svc("list").stdout).toBe("");
    expect(b.events().filter((e) => e.startsWith("down"))).toEqual(["down d", "down b", "down a"]);
  });

  it("a longrun whose process dies is restarted by s6 and stays up", async () => {
    const b = await start({ daemon: { type: "longrun", run: `echo "run $$" >> events; exec sleep 1000` } });
    expect(b.svc("start", "daemon").code).toBe(0);
    // up means started: wait for the script to have said so before killing it
    await until("the daemon's first run", () => b.events().length >= 1, 5_000);
    const first = state(b, "daemon").pid as number;
    expect(b.events()).toEqual([`run ${first}`]);
    process.kill(first, "SIGKILL");
    let now = state(b, "daemon");
    for (let i = 0; i < 100 && (now.pid === first || now.pid === 0 || b.events().length < 2); i++) {
      await new Promise((r) => setTimeout(r, 50));
      now = state(b, "daemon");
    }
    expect(now).toMatchObject({ state: "up", ready: true });
    expect(now.pid).not.toBe(first);
    expect(b.events()).toHaveLength(2);
    expect(b.svc("list").stdout).toBe("daemon\n");
    expect(b.svc("stop", "daemon").code).toBe(0);
    expect(state(b, "daemon")).toMatchObject({ state: "down", pid: 0, lastExit: 143 });
  });
});
