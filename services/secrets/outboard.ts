// secrets.outboard: fetches a JSON document of secrets over HTTPS (or HTTP) every `interval`
// minutes and publishes it as this service's outputs, for `outputRef(secrets, "ppp/password")`
// and the like (runtime/src/secrets/outboard.ts). The service is ready once the first document
// is published. Username and password are build-time values: they are in the image (in a file
// only root reads), as the manual warns; they keep the URL from being enough on its own. Over
// plain HTTP anyone on the way reads them and can change the document: credentials, and ssh keys
// taken from it, need `insecure: true`.
import { absolutePath } from "../../image/config/files.ts";
import { longrun, serviceName, serviceRef, sh, template, z } from "../../image/config/index.ts";

const plainHttp = (url: string): boolean => url.startsWith("http:");

const pem = z.string().regex(/-----BEGIN CERTIFICATE-----/, "must be PEM text holding at least one CERTIFICATE");

export const outboard = template(
  "secrets.outboard",
  z
    .strictObject({
      name: serviceName.default("secrets").describe("Name of the service, whose outputs are the secrets."),
      url: z
        .string()
        .regex(/^https?:\/\/.+/, "must be an http:// or https:// URL")
        .describe("Where the JSON document of secrets is fetched."),
      username: z.string().min(1).nullable().default(null).describe("HTTP basic user name (in the image)."),
      password: z.string().nullable().default(null).describe("HTTP basic password (in the image, readable by root)."),
      interval: z.number().int().min(1).default(30).describe("Minutes between fetches."),
      ca: pem
        .nullable()
        .default(null)
        .describe("CA certificates (PEM) the server's certificate must chain to, placed in the image."),
      caFile: absolutePath.nullable().default(null).describe("Or a CA bundle already on the device."),
      clientCertificateFile: absolutePath
        .nullable()
        .default(null)
        .describe("A client certificate (PEM chain) on the device, for servers that ask for one."),
      clientKeyFile: absolutePath.nullable().default(null).describe("The client certificate's key on the device."),
      timeout: z
        .number()
        .int()
        .min(1)
        .max(600)
        .default(30)
        .describe("Seconds one fetch may take, connection and TLS handshake included."),
      dependencies: z.array(serviceRef).default([]).describe("What must be up first (the network to the server)."),
      insecure: z
        .boolean()
        .default(false)
        .describe("Accept plain http with credentials or feeding ssh keys, which anyone on the way reads and changes."),
    })
    .refine((p) => !p.url.startsWith("https:") || (p.ca === null) !== (p.caFile === null), {
      message: "an https URL needs exactly one of ca and caFile",
      path: ["ca"],
    })
    .refine(
      (p) => p.url.startsWith("https:") || (p.ca === null && p.caFile === null && p.clientCertificateFile === null),
      { message: "CA and client certificate are for https URLs only", path: ["url"] },
    )
    .refine((p) => (p.clientCertificateFile === null) === (p.clientKeyFile === null), {
      message: "clientCertificateFile and clientKeyFile go together",
      path: ["clientKeyFile"],
    })
    .refine((p) => p.password === null || p.username !== null, {
      message: "a password needs a username",
      path: ["password"],
    })
    .refine((p) => !plainHttp(p.url) || p.username === null || p.insecure, {
      message: "plain http sends the username and password in clear: use https, or set insecure: true",
      path: ["url"],
    }),
  (p) => {
    const dir = "/etc/limen/outboard";
    const caFile = p.ca !== null ? `${dir}/${p.name}-ca.pem` : p.caFile;
    const config = `${dir}/${p.name}.json`;
    const settings = {
      service: p.name,
      url: p.url,
      intervalMs: p.interval * 60_000,
      retryMs: 10_000,
      timeoutMs: p.timeout * 1000,
      maxBytes: 262_144,
      username: p.username,
      password: p.password,
      caFile,
      certFile: p.clientCertificateFile,
      keyFile: p.clientKeyFile,
      readyFd: 3,
    };
    return longrun({
      name: p.name,
      dependencies: p.dependencies,
      notificationFd: 3,
      // ready after at most two whole fetches and the wait between them (boot waits on anyway)
      timeoutUp: 2 * settings.timeoutMs + settings.retryMs + 5000,
      // the document's keys are its outputs, known only once fetched
      dynamicOutputs: true,
      insecureOutputs: plainHttp(p.url) && !p.insecure ? `fetched over plain http (${p.url})` : null,
      files: {
        [config]: { type: "file", content: JSON.stringify(settings, null, 1) + "\n", mode: 0o600 },
        ...(p.ca !== null
          ? {
              [`${dir}/${p.name}-ca.pem`]: { type: "file" as const, content: p.ca.endsWith("\n") ? p.ca : `${p.ca}\n` },
            }
          : {}),
      },
      run: sh`exec limen outboard ${config}`,
    });
  },
);
