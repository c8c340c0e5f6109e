// The zlib preset dictionary of SPDY/3 (draft-mbelshe-httpbis-spdy-00 §2.6.10.1), 1423 bytes.
//
// The spec prints it as a byte table; its shape is simpler: a list of header names and common
// values, each preceded by its length as a 32-bit big-endian integer (the same encoding a header
// block uses), followed by one run of plain text made of status codes, reason phrases, dates
// and media types. We build it from that shape. Every byte matters: zlib checks the Adler-32 of
// the dictionary (DICTID) when it inflates, so a single wrong byte makes every header block
// from kubectl or the kubelet undecodable.

const LENGTH_PREFIXED = [
  'options', 'head', 'post', 'put', 'delete', 'trace', 'accept', 'accept-charset', 'accept-encoding',
  'accept-language', 'accept-ranges', 'age', 'allow', 'authorization', 'cache-control', 'connection',
  'content-base', 'content-encoding', 'content-language', 'content-length', 'content-location',
  'content-md5', 'content-range', 'content-type', 'date', 'etag', 'expect', 'expires', 'from', 'host',
  'if-match', 'if-modified-since', 'if-none-match', 'if-range', 'if-unmodified-since', 'last-modified',
  'location', 'max-forwards', 'pragma', 'proxy-authenticate', 'proxy-authorization', 'range', 'referer',
  'retry-after', 'server', 'te', 'trailer', 'transfer-encoding', 'upgrade', 'user-agent', 'vary', 'via',
  'warning', 'www-authenticate', 'method', 'get', 'status', '200 OK', 'version', 'HTTP/1.1', 'url',
  'public', 'set-cookie', 'keep-alive', 'origin',
]

const PLAIN_TAIL = [
  '100101201202205206300302303304305306307402405406407408409410411412413414415416417502504505',
  '203 Non-Authoritative Information', '204 No Content', '301 Moved Permanently', '400 Bad Request',
  '401 Unauthorized', '403 Forbidden', '404 Not Found', '500 Internal Server Error', '501 Not Implemented',
  '503 Service Unavailable',
  'Jan Feb Mar Apr May Jun Jul Aug Sept Oct Nov Dec 00:00:00 Mon, Tue, Wed, Thu, Fri, Sat, Sun, GMT',
  'chunked,text/html,image/png,image/jpg,image/gif,application/xml,application/xhtml+xml,text/plain,',
  'text/javascript,publicprivatemax-age=gzip,deflate,sdchcharset=utf-8charset=iso-8859-1,utf-,*,enq=0.',
].join('')

function build(): Buffer {
  const parts: Buffer[] = []
  for (const word of LENGTH_PREFIXED) {
    const len = Buffer.alloc(4)
    len.writeUInt32BE(word.length)
    parts.push(len, Buffer.from(word, 'latin1'))
  }
  parts.push(Buffer.from(PLAIN_TAIL, 'latin1'))
  return Buffer.concat(parts)
}

/** The SPDY/3 header-compression dictionary. Treat as read-only. */
export const SPDY3_DICTIONARY: Buffer = build()
