// The outputs an image build can make: the values of hardware.defaultOutput and of `--output`.
// A leaf module, so the options schema and the image builder both import it without a cycle.
export const outputs = ["vmroot", "mtdimage", "tftpboot", "ubimage", "systemConfiguration", "manifest"] as const;
export type OutputName = (typeof outputs)[number];
