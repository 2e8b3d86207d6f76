// The host's zod schema of the service database (runtime/src/svc/database.ts is the format; the
// device checks it by hand with checkDatabase, and the tests run both on compiled databases).
import { z } from "zod";
import { databaseVersion, kernelModuleName, type Database } from "../../runtime/src/svc/database.ts";
import { serviceName } from "./service.ts";

const entry = z.strictObject({
  type: z.enum(["longrun", "oneshot", "bundle"]),
  dependencies: z.array(serviceName),
  controlled: z.boolean(),
  timeoutUp: z.number().int().min(0),
  timeoutDown: z.number().int().min(0),
  notificationFd: z.number().int().min(3).nullable(),
  outputs: z.array(z.string()),
  outputRefs: z.array(z.strictObject({ service: serviceName, path: z.string().min(1) })),
  kernelModules: z.array(z.string().regex(kernelModuleName)),
});

export const databaseSchema = z
  .strictObject({ version: z.literal(databaseVersion), services: z.record(serviceName, entry) })
  .superRefine((db, ctx) => {
    for (const [name, s] of Object.entries(db.services)) {
      s.dependencies.forEach((d, i) => {
        if (!Object.hasOwn(db.services, d))
          ctx.addIssue({
            code: "custom",
            path: ["services", name, "dependencies", i],
            message: `names unknown service "${d}"`,
          });
      });
    }
  }) satisfies z.ZodType<Database>;
