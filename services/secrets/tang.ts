// secrets.tang: decrypts a Clevis/Tang JWE file (made with `clevis encrypt tang`, holding a JSON
// document) with the help of the Tang server named in it, and publishes the document as the
// service's outputs, like secrets.outboard (runtime/src/secrets/tang.ts). Ready once the first
// secrets are published.
import { absolutePath, longrun, serviceRef, sh, template, z } from "../../image/config/index.ts";

export const tang = template(
  "secrets.tang",
  z.strictObject({
    name: z.string().default("secrets-tang").describe("Name of the service, whose outputs are the secrets."),
    file: absolutePath.describe("The Clevis/Tang JWE file on the device (a USB stick's mount, say)."),
    interval: z
      .number()
      .positive()
      .default(60)
      .describe("Minutes between decryptions (a changed file is picked up then)."),
    retry: z
      .number()
      .positive()
      .default(10)
      .describe("Seconds before the first retry after a failure (doubling up to the interval)."),
    timeout: z.number().positive().default(10).describe("Seconds the Tang server has to answer."),
    dependencies: z
      .array(serviceRef)
      .default([])
      .describe("What must be up first: the mount holding the file, the network to the server."),
  }),
  (p) => {
    const ms = (x: number) => String(Math.round(x));
    return longrun({
      name: p.name,
      dependencies: p.dependencies,
      notificationFd: 3,
      // ready after at most two whole exchanges and the wait between them (boot waits on anyway)
      timeoutUp: Math.round((2 * p.timeout + p.retry) * 1000) + 5000,
      // the decrypted document's keys are its outputs, known only at run time
      dynamicOutputs: true,
      run: sh`exec limen secrets tang --interval-ms ${ms(p.interval * 60_000)} --retry-ms ${ms(p.retry * 1000)} --timeout-ms ${ms(p.timeout * 1000)} --ready-fd 3 ${p.name} ${p.file}`,
    });
  },
);
