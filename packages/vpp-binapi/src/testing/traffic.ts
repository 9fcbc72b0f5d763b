/**
 * Set-up shared by the packages' traffic tests (a real VPP under `VPP_BIN`, the fake otherwise).
 */
import type { VppClient } from '../client/client.js';
import type { VppApi } from '../client/connect.js';

/**
 * Binds VPP to a host interface of its netns (`af_packet_create_v3`, Ethernet mode, 2048-byte frames,
 * 32 frames per block, one queue each way), sets it admin-up and gives it `prefix`.
 * @returns its sw_if_index
 */
export async function afPacketWithAddress(vpp: VppClient<VppApi>, hostIfName: string, prefix: string): Promise<number> {
  const { sw_if_index } = await vpp.call('af_packet_create_v3', {
    mode: 1,
    use_random_hw_addr: true,
    host_if_name: hostIfName,
    rx_frame_size: 2048,
    tx_frame_size: 2048,
    rx_frames_per_block: 32,
    tx_frames_per_block: 32,
    flags: 0,
    num_rx_queues: 1,
    num_tx_queues: 1,
  });
  await vpp.call('sw_interface_set_flags', { sw_if_index, flags: 1 });
  await vpp.call('sw_interface_add_del_address', { sw_if_index, is_add: true, prefix });
  return sw_if_index;
}
