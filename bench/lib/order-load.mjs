// The HTTP load every server bench drives: POST /commands/orders.place with the three-item
// order of http-overhead/payload.mjs, from autocannon, for `seconds` over `connections`.
import autocannon from 'autocannon';
import { body } from '../http-overhead/payload.mjs';

export function loadOrders(url, { seconds, connections }) {
  return autocannon({
    url: `${url}/commands/orders.place`,
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body,
    connections,
    duration: seconds,
  });
}
