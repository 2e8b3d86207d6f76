import { defineConfig } from "vitest/config";

/**
 * The fast tier (`npm run test:fast`, vitest.fast.config.ts): host-only tests, by folder. A QEMU
 * boot, a kernel build or an image build belongs in another folder (test/qemu, test/kernel,
 * test/builds, …); test/image/tiers.test.ts fails when a file here reaches for one.
 */
export const fastFolders = ["config", "svc", "controllers", "secrets", "image"];

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    // Runtime and QEMU tests start real processes; give them room on a 2-core machine.
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: "forks",
  },
});
