/**
 * Media types of consumed messages, as the CloudEvents JSON format defines JSON content:
 * a media type (parameters such as `; charset=utf-8` stripped) of the form `* /json` or
 * `* /*+json`, so `application/json`, `text/json` and `application/vnd.acme+json` all are.
 */

/** The CloudEvents JSON event format's media type: structured content mode. */
export const CLOUDEVENTS_JSON = 'application/cloudevents+json';
/** The prefix every CloudEvents event format's media type starts with. */
export const CLOUDEVENTS_MEDIA_PREFIX = 'application/cloudevents';

/** The media type of a content type, lower-cased, without parameters; '' for an empty one. */
export function mediaTypeOf(contentType: string): string {
  const semicolon = contentType.indexOf(';');
  return (semicolon < 0 ? contentType : contentType.slice(0, semicolon)).trim().toLowerCase();
}

const JSON_MEDIA_TYPE = /^[a-z0-9!#$&^_.+-]+\/(?:[a-z0-9!#$&^_.+-]*\+)?json$/;

/** Whether a content type declares JSON data (`* /json` or `* /*+json`, any parameters). */
export function isJsonContentType(contentType: string): boolean {
  return JSON_MEDIA_TYPE.test(mediaTypeOf(contentType));
}

/** Text from a message, shortened for an error message: a producer decides its length. */
export function clip(text: string, max = 120): string {
  return text.length > max ? `${text.slice(0, max)}…` : text;
}
