// GL.iNet GL-MT300A: MediaTek MT7620A (MIPS 24KEc, 580 MHz), 128 MB DDR2, 16 MB SPI NOR, two
// Ethernet ports on the SoC's switch, 2.4 GHz 802.11n radio in the SoC (the rt2800soc driver).
import { join } from "node:path";
import { ramipsDevice } from "../lib/ramips.ts";

export default ramipsDevice({
  name: "gl-mt300a",
  dts: join(import.meta.dirname, "gl-mt300a.dts"),
  // the manual: "the firmware partition is from 0xbc050000 to 0xbcfd0000"
  firmwareSize: 0xf80000,
  // the vendor firmware's switch layout: port VLAN 1 the LAN port, VLAN 2 the WAN port
  interfaces: { lan: "eth0.1", wan: "eth0.2" },
  radios: { wlan: "wlan0" },
  console: "ttyS0,115200",
});
