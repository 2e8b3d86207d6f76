// Its own module so that schemas accepting references (secrets.ts) need not import service.ts.
import type { Service } from "./service.ts";

/** A value another service writes to its outputs, read on the device when the using service starts. */
export class OutputRef {
  constructor(
    readonly service: Service,
    readonly path: string,
  ) {}
}
