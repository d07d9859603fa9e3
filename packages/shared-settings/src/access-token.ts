/**
 * The streams' bearer token in a URL (`?access_token=`, RFC 6750 §2.3: browsers' EventSource and
 * WebSocket cannot set headers) is a credential: no log line or problem body may show it. Here,
 * beside the logging it redacts, because every package below the apps reaches it.
 */

/**
 * The query key `access_token` in every spelling a query parser decodes to it: each character
 * plain or percent-encoded (`access%5Ftoken`, `%61ccess_token`), matched without regard to case.
 * nginx's template has this source, as is, in its access log's redaction map.
 */
export const ACCESS_TOKEN_KEY =
  /(?:a|%61)(?:c|%63)(?:c|%63)(?:e|%65)(?:s|%73)(?:s|%73)(?:_|%5f)(?:t|%74)(?:o|%6f)(?:k|%6b)(?:e|%65)(?:n|%6e)/i;

/** Each `access_token=<value>` of a query (however the key is spelled); a value ends at `&` or a space. */
const ACCESS_TOKEN_PARAMETER = new RegExp(`([?&]${ACCESS_TOKEN_KEY.source}=)[^&\\s]*`, "gi");

/** `text` (a URL, or words quoting one) with the value of every `access_token` in it written `[redacted]`. */
export function withoutAccessToken(text: string): string;
export function withoutAccessToken(text: string | undefined): string | undefined;
export function withoutAccessToken(text: string | undefined): string | undefined {
  return text?.replace(ACCESS_TOKEN_PARAMETER, "$1[redacted]");
}
