// GL.iNet GL-MT300N-v2 "Mango": MediaTek MT7628NN (MIPS 24KEc, 580 MHz), 128 MB DDR2, 16 MB SPI NOR,
// two Ethernet ports on the SoC's switch, 2.4 GHz 802.11n radio in the SoC (mt76's mt7603e driver).
import { join } from "node:path";
import { ramipsDevice } from "../lib/ramips.ts";

export default ramipsDevice({
  name: "gl-mt300n-v2",
  dts: join(import.meta.dirname, "gl-mt300n-v2.dts"),
  // the firmware partition runs from 0x50000 to the end of the 16 MB flash
  firmwareSize: 0xfb0000,
  // the vendor firmware's switch layout: port VLAN 1 the LAN port, VLAN 2 the WAN port
  interfaces: { lan: "eth0.1", wan: "eth0.2" },
  radios: { wlan: "wlan0" },
  console: "ttyS0,115200",
});
