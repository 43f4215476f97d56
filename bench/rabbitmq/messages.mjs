// The same event for both sides: Tandem's form (ce- headers) and the AMQP form raw
// amqplib sends (cloudEvents_ application properties), as the CloudEvents binding says.
import { uuidv7 } from '@tandem/core';

const encoder = new TextEncoder();

function attributes(topic, key) {
  return {
    id: uuidv7(),
    specversion: '1.0',
    source: 'bench',
    type: topic,
    time: new Date().toISOString(),
    subject: key,
    partitionkey: key,
  };
}

export function tandemMessage(topic, data, key) {
  const headers = { 'content-type': 'application/json' };
  for (const [name, value] of Object.entries(attributes(topic, key))) headers[`ce-${name}`] = value;
  return { topic, key, headers, body: encoder.encode(JSON.stringify(data)) };
}

export function rawMessage(topic, data, key) {
  const attrs = attributes(topic, key);
  const headers = {};
  for (const [name, value] of Object.entries(attrs)) headers[`cloudEvents_${name}`] = value;
  return {
    content: Buffer.from(JSON.stringify(data)),
    options: { persistent: true, contentType: 'application/json', messageId: attrs.id, headers },
  };
}
