<?php

/**
 * The MIME side of S/MIME (RFC 8551), as plain functions on bytes: no Roundcube, no openssl
 * (tested on their own). Building: the entity that is signed or encrypted, always with CRLF
 * line ends (a signature covers exact bytes, and a relay may turn bare LF into CRLF); the
 * multipart/signed (RFC 1847) and application/pkcs7-mime wrappers; micalg from the signature's
 * digest. Reading: an entity's content type, which S/MIME form it is, and the two halves of a
 * multipart/signed exactly as they were signed.
 *
 * @license GNU GPLv3+
 */
class mailroom_smime_mime
{
    const SIGNED = 'signed';            // multipart/signed, detached signature
    const SIGNED_DATA = 'signed-data';  // application/pkcs7-mime; smime-type=signed-data (opaque)
    const ENVELOPED = 'enveloped-data';

    // Digest algorithms by the DER of their OIDs, as they appear in a SignedData's
    // digestAlgorithms, and their micalg names (RFC 5751 section 3.4.3.2).
    const DIGESTS = [
        "\x06\x05\x2b\x0e\x03\x02\x1a" => 'sha-1',
        "\x06\x09\x60\x86\x48\x01\x65\x03\x04\x02\x04" => 'sha-224',
        "\x06\x09\x60\x86\x48\x01\x65\x03\x04\x02\x01" => 'sha-256',
        "\x06\x09\x60\x86\x48\x01\x65\x03\x04\x02\x02" => 'sha-384',
        "\x06\x09\x60\x86\x48\x01\x65\x03\x04\x02\x03" => 'sha-512',
    ];

    // CMS content types by the DER of their OIDs (RFC 5652, RFC 5083).
    const CONTENT_TYPES = [
        "\x2a\x86\x48\x86\xf7\x0d\x01\x07\x02" => self::SIGNED_DATA,
        "\x2a\x86\x48\x86\xf7\x0d\x01\x07\x03" => self::ENVELOPED,
        "\x2a\x86\x48\x86\xf7\x0d\x01\x09\x10\x01\x17" => self::ENVELOPED,
    ];

    /**
     * Bytes with every line end made CRLF (bare LF and CRLF alike; no regular expression: a
     * message may be tens of MiB). Text that has CRLF line ends only (what this plugin builds) is
     * returned as it is: counting is cheaper than replacing twice.
     */
    public static function crlf($text)
    {
        if (substr_count($text, "\n") === substr_count($text, "\r\n")) {
            return $text;
        }

        return str_replace("\n", "\r\n", str_replace("\r\n", "\n", $text));
    }

    /**
     * A MIME entity: its content headers (name => value, values already encoded and folded as
     * Mail_mime gives them) and its body, with CRLF line ends. Header values with a line break
     * not followed by a space or tab (which would start a header of their own) are refused.
     */
    public static function entity(array $headers, $body)
    {
        $head = '';
        foreach ($headers as $name => $value) {
            if (!preg_match('/\A[A-Za-z0-9-]+\z/', $name) || preg_match('/\r?\n(?![ \t])|\r(?!\n)/', $value)) {
                throw new InvalidArgumentException('a header that would break the entity: ' . $name);
            }
            $head .= $name . ': ' . $value . "\n";
        }

        // Apart: a body that is CRLF already (a signed entity) is then not copied again.
        return self::crlf($head . "\n") . self::crlf($body);
    }

    /**
     * A boundary that cannot occur in base64 or quoted-printable text ("=_" is never either).
     */
    public static function boundary()
    {
        return '=_smime_' . bin2hex(random_bytes(16));
    }

    /**
     * The micalg name of the digest the DER SignedData names first, or null.
     */
    public static function micalg($der)
    {
        $found = null;
        $first = PHP_INT_MAX;
        foreach (self::DIGESTS as $oid => $name) {
            $at = strpos($der, $oid);
            if ($at !== false && $at < $first) {
                $first = $at;
                $found = $name;
            }
        }

        return $found;
    }

    /**
     * What a CMS ContentInfo (DER or BER) holds, SIGNED_DATA or ENVELOPED, from its content type
     * OID; null when it is neither. The OID decides, not the MIME header: senders leave
     * smime-type out or name every kind smime.p7m.
     */
    public static function der_kind($der)
    {
        if (strlen($der) < 4 || $der[0] !== "\x30") {
            return null;
        }
        $length = ord($der[1]);
        // Long form: the next (length & 0x7f) bytes are the length; 0x80 alone is BER's indefinite length.
        $at = 2 + (($length & 0x80) ? ($length & 0x7f) : 0);
        if (strlen($der) < $at + 2 || $der[$at] !== "\x06") {
            return null;
        }

        return self::CONTENT_TYPES[substr($der, $at + 2, ord($der[$at + 1]))] ?? null;
    }

    /**
     * Base64 in lines of 76 characters, CRLF-ended.
     */
    public static function base64_lines($bytes)
    {
        return chunk_split(base64_encode($bytes), 76, "\r\n");
    }

    /**
     * A detached signature around the entity that was signed: [content headers, body].
     */
    public static function signed($entity, $signature_der, $boundary)
    {
        $micalg = self::micalg($signature_der) ?: 'sha-256';
        $headers = [
            'Content-Type' => "multipart/signed; protocol=\"application/pkcs7-signature\"; micalg=$micalg;"
                . " boundary=\"$boundary\"",
        ];
        $body = "This is a cryptographically signed message in MIME format.\r\n\r\n"
            . "--$boundary\r\n" . $entity . "\r\n"
            . "--$boundary\r\n"
            . "Content-Type: application/pkcs7-signature; name=\"smime.p7s\"\r\n"
            . "Content-Transfer-Encoding: base64\r\n"
            . "Content-Disposition: attachment; filename=\"smime.p7s\"\r\n"
            . "Content-Description: S/MIME Cryptographic Signature\r\n\r\n"
            . self::base64_lines($signature_der)
            . "\r\n--$boundary--\r\n";

        return [$headers, $body];
    }

    /**
     * An encrypted message: [content headers, body].
     */
    public static function enveloped($der)
    {
        return [[
            'Content-Type' => "application/pkcs7-mime; smime-type=enveloped-data; name=\"smime.p7m\"",
            'Content-Transfer-Encoding' => 'base64',
            'Content-Disposition' => 'attachment; filename="smime.p7m"',
            'Content-Description' => 'S/MIME Encrypted Message',
        ], self::base64_lines($der)];
    }

    /**
     * [header block, body] of an entity (split at its first empty line; no empty line: all header).
     */
    public static function split($entity)
    {
        if (preg_match('/\r?\n\r?\n/', $entity, $m, PREG_OFFSET_CAPTURE)) {
            $at = $m[0][1];
            return [substr($entity, 0, $at), (string) substr($entity, $at + strlen($m[0][0]))];
        }

        return [$entity, ''];
    }

    /**
     * One header's value, unfolded, from a header block (the first of that name), or null.
     */
    public static function header($head, $name)
    {
        $unfolded = preg_replace('/\r?\n[ \t]+/', ' ', $head);
        foreach (preg_split('/\r?\n/', $unfolded) as $line) {
            $colon = strpos($line, ':');
            if ($colon !== false && strcasecmp(trim(substr($line, 0, $colon)), $name) === 0) {
                return trim(substr($line, $colon + 1));
            }
        }

        return null;
    }

    /**
     * [type (lower case), parameters (lower-case names => values, quotes removed)] of a
     * Content-Type value; text/plain when there is none (RFC 2045).
     */
    public static function content_type($value)
    {
        if ($value === null || trim($value) === '') {
            return ['text/plain', []];
        }
        $type = strtolower(trim(strtok($value, ';')));
        $params = [];
        preg_match_all('/;\s*([A-Za-z0-9._*-]+)\s*=\s*("((?:[^"\\\\]|\\\\.)*)"|[^;\s]*)/', $value, $found, PREG_SET_ORDER);
        foreach ($found as $param) {
            $params[strtolower($param[1])] = isset($param[3]) && $param[2] !== '' && $param[2][0] === '"'
                ? stripcslashes($param[3]) : $param[2];
        }

        return [$type, $params];
    }

    /**
     * Which S/MIME form a content type is (SIGNED, SIGNED_DATA, ENVELOPED) or null. Without
     * smime-type, the file name decides as RFC 8551 3.2.1 says older agents name it.
     */
    public static function kind($type, array $params)
    {
        if ($type === 'multipart/signed') {
            $protocol = strtolower($params['protocol'] ?? '');
            return in_array($protocol, ['application/pkcs7-signature', 'application/x-pkcs7-signature'])
                ? self::SIGNED : null;
        }
        if ($type !== 'application/pkcs7-mime' && $type !== 'application/x-pkcs7-mime') {
            return null;
        }
        $smime_type = strtolower($params['smime-type'] ?? '');
        if ($smime_type === 'enveloped-data' || $smime_type === 'authenveloped-data') {
            return self::ENVELOPED;
        }
        if ($smime_type === 'signed-data') {
            return self::SIGNED_DATA;
        }
        if ($smime_type === '') {
            $name = strtolower($params['name'] ?? '');
            return substr($name, -4) === '.p7m' || $name === '' ? self::ENVELOPED : null;
        }

        return null;
    }

    /**
     * The two halves of a multipart/signed body: [the signed entity, exactly as signed (without
     * the line end before the next boundary, RFC 1847), the signature part]. Null when the body
     * does not hold two parts between boundaries.
     */
    public static function signed_parts($body, $boundary)
    {
        if ($boundary === '' || strlen($boundary) > 70) {
            return null;
        }
        $delimiter = '--' . $boundary;
        $parts = [];
        $offset = 0;
        $start = null;
        $length = strlen($body);
        while ($offset < $length) {
            $at = strpos($body, $delimiter, $offset);
            if ($at === false) {
                break;
            }
            // A delimiter starts a line: at the body's start, or after a line end.
            $line_start = $at === 0 || $body[$at - 1] === "\n";
            $after = $at + strlen($delimiter);
            if (!$line_start) {
                $offset = $after;
                continue;
            }
            if ($start !== null) {
                $end = $at - 1;
                if ($end > 0 && $body[$end - 1] === "\r") {
                    $end--;
                }
                $parts[] = substr($body, $start, max(0, $end - $start));
            }
            if (substr($body, $after, 2) === '--') {
                break;
            }
            $eol = strpos($body, "\n", $after);
            if ($eol === false) {
                return null;
            }
            $start = $eol + 1;
            $offset = $start;
        }

        return count($parts) === 2 ? $parts : null;
    }

    /**
     * A part's body decoded by its Content-Transfer-Encoding (base64 or none of the others).
     */
    public static function decoded_body($part)
    {
        list($head, $body) = self::split($part);
        $encoding = strtolower((string) self::header($head, 'Content-Transfer-Encoding'));
        if ($encoding === 'base64') {
            return (string) base64_decode(preg_replace('/[^A-Za-z0-9+\/=]/', '', $body));
        }
        if ($encoding === 'quoted-printable') {
            return quoted_printable_decode($body);
        }

        return $body;
    }

    /**
     * The addresses in an address header (To, Cc, Bcc), lower case, without names or groups.
     */
    public static function addresses($value)
    {
        if ($value === null || $value === '') {
            return [];
        }
        // Quoted names and comments may hold anything, commas and "@" included: drop them first.
        $plain = preg_replace(['/"(?:[^"\\\\]|\\\\.)*"/', '/\((?:[^()\\\\]|\\\\.)*\)/'], ' ', $value);
        preg_match_all('/<([^<>@\s]+@[^<>@\s]+)>|([^\s<>,;:@"]+@[^\s<>,;:@"]+)/', $plain, $found, PREG_SET_ORDER);
        $addresses = [];
        foreach ($found as $match) {
            $addresses[] = strtolower($match[1] !== '' ? $match[1] : $match[2]);
        }

        return array_values(array_unique($addresses));
    }
}
