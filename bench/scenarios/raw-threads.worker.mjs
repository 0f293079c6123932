// The raw baseline of the keyed shuffle: one thread encodes batches of records with CBOR and
// transfers them over a MessagePort to another that decodes them, with the same credit window
// as Runnel's data channels (4 batches in flight). No partitioning, no operators.
import { parentPort, workerData } from 'node:worker_threads';
import { Encoder } from 'cbor-x';

const cbor = new Encoder({ useRecords: false, mapsAsObjects: true });
const { role, port, records, batchSize } = workerData;

if (role === 'producer') {
  let credits = 4;
  let next = 0;
  const pump = () => {
    while (credits > 0 && next < records) {
      const values = [];
      for (let i = 0; i < batchSize && next < records; i++, next++) {
        values.push({ key: next % 1000, value: next, name: 'sensor-reading', unit: 'celsius' });
      }
      const bytes = cbor.encode([0, values, null]);
      const owned = bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength ? bytes : bytes.slice();
      credits--;
      port.postMessage(owned, [owned.buffer]);
    }
  };
  port.on('message', () => {
    credits++;
    pump();
  });
  parentPort.once('message', () => {
    parentPort.postMessage({ startNs: String(process.hrtime.bigint()), cpu: process.cpuUsage() });
    pump();
  });
} else {
  let count = 0;
  port.on('message', (bytes) => {
    const [, values] = cbor.decode(bytes);
    count += values.length;
    port.postMessage(1);
    if (count >= records) {
      parentPort.postMessage({ endNs: String(process.hrtime.bigint()), cpu: process.cpuUsage(), count });
      port.close();
    }
  });
}
