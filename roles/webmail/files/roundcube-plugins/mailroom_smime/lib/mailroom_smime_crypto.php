<?php

/**
 * The public-key half of S/MIME, with PHP's openssl: encrypting to certificates and checking
 * signatures. No private key is ever here (the S/MIME service signs and decrypts). No Roundcube.
 *
 * PHP's CMS functions read and write files only: plaintext passes through files in $temp_dir
 * (a tmpfs directory of the web server's alone, made by the webmail role), each removed as soon
 * as the call is over.
 *
 * @license GNU GPLv3+
 */
class mailroom_smime_crypto
{
    const CA_BUNDLE = '/etc/ssl/certs/ca-certificates.crt';

    private $temp_dir;
    private $ca_bundle;

    public function __construct($temp_dir, $ca_bundle = self::CA_BUNDLE)
    {
        $this->temp_dir = (string) $temp_dir;
        $this->ca_bundle = (string) $ca_bundle;
    }

    /**
     * A CMS EnvelopedData (DER, AES-256-CBC) of $entity for every certificate (PEM) given.
     *
     * @throws RuntimeException when openssl refuses (a certificate that is not one)
     */
    public function encrypt($entity, array $certificates)
    {
        $certs = [];
        foreach ($certificates as $pem) {
            $cert = @openssl_x509_read($pem);
            if ($cert === false) {
                throw new RuntimeException('not a certificate: ' . $this->openssl_errors());
            }
            $certs[] = $cert;
        }

        return $this->with_files(2, function ($in, $out) use ($entity, $certs) {
            file_put_contents($in, $entity);
            if (!openssl_cms_encrypt($in, $out, $certs, null, OPENSSL_CMS_BINARY, OPENSSL_ENCODING_DER,
                    OPENSSL_CIPHER_AES_256_CBC)) {
                throw new RuntimeException('encrypting failed: ' . $this->openssl_errors());
            }

            return file_get_contents($out);
        });
    }

    /**
     * The check of a detached signature (DER) of $entity: see result().
     */
    public function verify_detached($entity, $signature_der, array $trusted_pems, $now)
    {
        return $this->with_files(4, function ($content, $sig, $signers, $cas) use ($entity, $signature_der, $trusted_pems, $now) {
            file_put_contents($content, $entity);
            file_put_contents($sig, $signature_der);
            $cas = $this->ca_file($cas, $trusted_pems);
            // Without OPENSSL_CMS_BINARY: OpenSSL compares the content with CRLF line ends, so
            // mail stored with bare LF (as Dovecot keeps it) still verifies.
            $check = function ($flags, array $ca_files) use ($content, $sig, $signers) {
                return openssl_cms_verify($content, OPENSSL_CMS_DETACHED | $flags, $signers, $ca_files, null, null,
                    null, $sig, OPENSSL_ENCODING_DER) === true;
            };

            return $this->result($check, $signers, $cas, $now);
        });
    }

    /**
     * The check of an opaque signature (DER SignedData): [result(), the signed content or null].
     */
    public function verify_opaque($signed_der, array $trusted_pems, $now)
    {
        return $this->with_files(4, function ($in, $signers, $cas, $content) use ($signed_der, $trusted_pems, $now) {
            file_put_contents($in, $signed_der);
            $cas = $this->ca_file($cas, $trusted_pems);
            $check = function ($flags, array $ca_files) use ($in, $signers, $content) {
                return openssl_cms_verify($in, $flags, $signers, $ca_files, null, $content, null, null,
                    OPENSSL_ENCODING_DER) === true;
            };
            $result = $this->result($check, $signers, $cas, $now);
            $body = $result['status'] !== mailroom_smime_status::INVALID ? file_get_contents($content) : false;

            return [$result, $body === false ? null : $body];
        });
    }

    /**
     * status (mailroom_smime_status), signer (mailroom_smime_status::signer, null when the
     * signature names none), signer_pem, error (openssl's reason, for the log).
     */
    private function result(callable $check, $signers, $cas, $now)
    {
        // Errors of earlier calls stay queued: none of them is this signature's.
        $this->openssl_errors();
        $intact = $check(OPENSSL_CMS_NOVERIFY, []);
        $error = $intact ? '' : $this->openssl_errors();
        $trusted = false;
        if ($intact) {
            $ca_files = array_values(array_filter([$this->ca_bundle, $cas], function ($file) {
                return $file !== null && is_readable($file);
            }));
            $trusted = $check(0, $ca_files);
            $error = $trusted ? '' : $this->openssl_errors();
        }
        $signer = null;
        $pem = $intact ? (string) @file_get_contents($signers) : '';
        if ($pem !== '' && ($cert = @openssl_x509_read($pem)) !== false) {
            $signer = mailroom_smime_status::signer(openssl_x509_parse($cert), openssl_x509_fingerprint($cert, 'sha256'));
        }
        $status = mailroom_smime_status::of($intact, $trusted, $signer['not_after'] ?? null, $now);

        return ['status' => $status, 'signer' => $signer, 'signer_pem' => $pem, 'error' => $error];
    }

    /**
     * $file holding the user's trusted CAs, or null when there are none (openssl refuses an
     * empty CA file).
     */
    private function ca_file($file, array $pems)
    {
        if (!$pems) {
            return null;
        }
        file_put_contents($file, implode("\n", $pems));

        return $file;
    }

    /**
     * Runs $work with $count fresh empty files (0600) in the temporary directory; removes them.
     */
    private function with_files($count, callable $work)
    {
        $files = [];
        try {
            for ($i = 0; $i < $count; $i++) {
                $file = @tempnam($this->temp_dir, 'smime');
                if ($file === false || dirname($file) !== rtrim($this->temp_dir, '/')) {
                    // tempnam() falls back to the system's directory: plaintext must not go there.
                    if ($file !== false) {
                        @unlink($file);
                    }
                    throw new RuntimeException('the S/MIME temporary directory ' . $this->temp_dir . ' is not usable');
                }
                $files[] = $file;
            }

            return $work(...$files);
        }
        finally {
            foreach ($files as $file) {
                @unlink($file);
            }
        }
    }

    private function openssl_errors()
    {
        $errors = [];
        while (($error = openssl_error_string()) !== false) {
            $errors[] = $error;
        }

        return $errors ? implode('; ', $errors) : 'no reason given';
    }
}
