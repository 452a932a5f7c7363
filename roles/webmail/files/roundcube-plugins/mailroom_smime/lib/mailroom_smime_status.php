<?php

/**
 * What a signature check means to the reader, as plain functions (tested on their own).
 *
 * A signature is checked twice (mailroom_smime_crypto): once for integrity alone (the content is
 * what the signer's key signed), once against the trusted CAs (the system's store and the user's
 * own). No CRL or OCSP lookups: a revoked certificate still shows as valid (docs/settings.md).
 *
 * @license GNU GPLv3+
 */
class mailroom_smime_status
{
    const VALID = 'valid';          // intact, and the signer's certificate chains to a trusted CA
    const INVALID = 'invalid';      // the content was changed, or the signature is damaged
    const EXPIRED = 'expired';      // intact, but the signer's certificate has expired
    const UNKNOWN = 'unknown';      // intact, but no trusted CA vouches for the signer

    public static function of($intact, $trusted, $not_after, $now)
    {
        if (!$intact) {
            return self::INVALID;
        }
        if ($trusted) {
            return self::VALID;
        }
        if ($not_after !== null && $not_after < $now) {
            return self::EXPIRED;
        }

        return self::UNKNOWN;
    }

    /**
     * The mail addresses a certificate is for (openssl_x509_parse's answer): its subject's
     * emailAddress and its subjectAltName's email entries, lower case.
     */
    public static function emails(array $parsed)
    {
        $emails = [];
        foreach ((array) ($parsed['subject']['emailAddress'] ?? []) as $email) {
            $emails[] = strtolower(trim($email));
        }
        $alt = (string) ($parsed['extensions']['subjectAltName'] ?? '');
        foreach (explode(',', $alt) as $entry) {
            $entry = trim($entry);
            if (stripos($entry, 'email:') === 0) {
                $emails[] = strtolower(trim(substr($entry, 6)));
            }
        }

        return array_values(array_unique(array_filter($emails)));
    }

    /**
     * The signer as the reader sees it: name, addresses, end of validity, fingerprint.
     */
    public static function signer(array $parsed, $fingerprint)
    {
        $subject = $parsed['subject'] ?? [];
        $name = $subject['CN'] ?? ($subject['O'] ?? '');

        return [
            'name' => is_array($name) ? (string) reset($name) : (string) $name,
            'emails' => self::emails($parsed),
            'not_after' => isset($parsed['validTo_time_t']) ? (int) $parsed['validTo_time_t'] : null,
            'fingerprint' => (string) $fingerprint,
        ];
    }

    /**
     * Whether the sender's address is one the signer's certificate is for (RFC 8550 3): a
     * signature by someone else's certificate is shown as such.
     */
    public static function sender_matches(array $from_addresses, array $signer_emails)
    {
        return (bool) array_intersect(array_map('strtolower', $from_addresses), $signer_emails);
    }
}
