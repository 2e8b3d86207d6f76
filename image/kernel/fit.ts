// A FIT image (U-Boot's flattened image tree) holding the kernel, optionally lzma-compressed, and
// the board's device tree, with one configuration that boots the pair: what `bootm` takes on
// devices whose U-Boot loads FIT. Written from an .its source by mkimage -f.
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { ensureCommands } from "../lib/host-programs.ts";
import type { Cpu } from "../config/module.ts";
import { CommandError, run } from "../lib/run.ts";
import { kernelArches } from "./arch.ts";
import { hex, hexDigits } from "../lib/numbers.ts";

export type FitCompression = "lzma" | "none";

export interface FitRequest {
  cpu: Cpu;
  /** The raw kernel image (arm64 Image, arm zImage, mips vmlinux.bin). */
  kernel: string;
  compression: FitCompression;
  dtb: string;
  /** Where U-Boot puts the (decompressed) kernel, and where it jumps. */
  loadAddress: number;
  entryPoint: number;
  description: string;
  /** hardware.alignment: the images' data go after the FIT structure, each aligned to this. */
  alignment?: number | null;
  /** The FIT file to write. */
  out: string;
}

export const fitTools = ["mkimage", "dtc", "xz"] as const;

/** Writes the FIT of `r` to r.out. */
export async function fitImage(r: FitRequest): Promise<void> {
  ensureCommands(fitTools);
  const work = await mkdtemp(join(tmpdir(), "limen-fit-"));
  try {
    let kernel = resolve(r.kernel);
    if (r.compression === "lzma") {
      // U-Boot's lzma is the .lzma ("alone") format, which records the uncompressed size
      kernel = join(work, "kernel.lzma");
      await run(["sh", "-c", 'xz --format=lzma -9 -c "$1" > "$2"', "sh", resolve(r.kernel), kernel]);
    }
    const its = join(work, "image.its");
    await writeFile(its, fitSource({ ...r, kernel, dtb: resolve(r.dtb) }));
    const align = r.alignment ? ["-E", "-B", hexDigits(r.alignment)] : [];
    try {
      // a fixed timestamp: the same inputs make the same file
      await run(["mkimage", "-q", ...align, "-f", its, resolve(r.out)], {
        env: { ...process.env, SOURCE_DATE_EPOCH: "0" },
      });
    } catch (e) {
      throw e instanceof CommandError ? new Error(`FIT image ${r.out}: mkimage failed:\n${e.output.trim()}`) : e;
    }
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

/**
 * The .its text: one kernel, one flat_dt, one configuration pairing them; CRC32 hashes U-Boot checks before booting.
 */
export function fitSource(r: Omit<FitRequest, "out" | "alignment">): string {
  for (const [what, v] of [
    ["load address", r.loadAddress],
    ["entry point", r.entryPoint],
  ] as const) {
    if (!Number.isInteger(v) || v < 0 || v > 0xffffffff)
      throw new Error(`FIT image: the ${what} ${v} is not a 32-bit address`);
  }
  const arch = kernelArches[r.cpu].arch;
  const text = (s: string) => {
    if (!/^[ -~]*$/.test(s) || /["\\]/.test(s))
      throw new Error(
        `FIT image: ${JSON.stringify(s)} cannot be written in an .its source (printable ASCII without quotes or backslashes)`,
      );
    return `"${s}"`;
  };
  return `/dts-v1/;

/ {
	description = ${text(r.description)};
	#address-cells = <1>;

	images {
		kernel {
			description = "Linux kernel";
			data = /incbin/(${text(r.kernel)});
			type = "kernel";
			arch = "${arch}";
			os = "linux";
			compression = "${r.compression}";
			load = <${hex(r.loadAddress, 8)}>;
			entry = <${hex(r.entryPoint, 8)}>;
			hash-1 {
				algo = "crc32";
			};
		};
		fdt {
			description = "device tree";
			data = /incbin/(${text(r.dtb)});
			type = "flat_dt";
			arch = "${arch}";
			compression = "none";
			hash-1 {
				algo = "crc32";
			};
		};
	};

	configurations {
		default = "config-1";
		config-1 {
			description = ${text(r.description)};
			kernel = "kernel";
			fdt = "fdt";
		};
	};
};
`;
}
