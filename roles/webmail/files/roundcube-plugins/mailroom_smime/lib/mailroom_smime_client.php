<?php

/**
 * The webmail's side of the S/MIME key service (mailroom-smime, the webmail role's): one request
 * per connection to its Unix socket. A request is one JSON line, then payload_bytes bytes (a
 * PKCS#12 file, a message to sign or decrypt, a certificate); the answer the same way. Plain PHP,
 * no Roundcube (tested on its own against a socket server of the test's).
 *
 * Every request carries the logged-in user's login and password; the service checks them with
 * Dovecot. Neither is ever logged or put into a message here.
 *
 * @license GNU GPLv3+
 */
class mailroom_smime_unavailable extends RuntimeException
{
}

class mailroom_smime_client
{
    const SOCKET = '/run/mailroom-smime/webmail.sock';
    const TIMEOUT = 120;
    const MAX_HEADER_BYTES = 4194304;
    const MAX_PAYLOAD_BYTES = 134217728;

    private $socket;
    private $timeout;
    private $user;
    private $password;

    public function __construct($user, $password, $socket = self::SOCKET, $timeout = self::TIMEOUT)
    {
        $this->user = (string) $user;
        $this->password = (string) $password;
        $this->socket = (string) $socket;
        $this->timeout = (float) $timeout;
    }

    /**
     * [answer (an array with a boolean "ok", "error" a text when false), payload bytes].
     *
     * @throws mailroom_smime_unavailable when the service gives no such answer
     */
    public function call($op, array $fields = [], $payload = '')
    {
        $request = ['op' => (string) $op, 'user' => $this->user, 'password' => $this->password,
            'payload_bytes' => strlen($payload)] + $fields;
        // JSON escapes every control character: the request line is one line, whatever it holds.
        $line = json_encode($request, JSON_UNESCAPED_SLASHES | JSON_UNESCAPED_UNICODE);
        if ($line === false) {
            throw new mailroom_smime_unavailable('The request could not be encoded (text that is not UTF-8).');
        }

        $deadline = microtime(true) + $this->timeout;
        $errno = 0;
        $errstr = '';
        $stream = @stream_socket_client('unix://' . $this->socket, $errno, $errstr, $this->timeout);
        if ($stream === false) {
            throw new mailroom_smime_unavailable('The S/MIME service is not running (' . $errstr . ').');
        }
        try {
            $this->write($stream, $line . "\n", $deadline);
            $this->write($stream, $payload, $deadline);
            @stream_socket_shutdown($stream, STREAM_SHUT_WR);
            $head = $this->read_line($stream, $deadline);
            $answer = json_decode($head, true, 64);
            if (!is_array($answer) || !isset($answer['ok']) || !is_bool($answer['ok'])
                    || !is_int($answer['payload_bytes'] ?? null) || $answer['payload_bytes'] < 0
                    || $answer['payload_bytes'] > self::MAX_PAYLOAD_BYTES) {
                throw new mailroom_smime_unavailable('The S/MIME service gave an answer that is not its own.');
            }
            $body = $this->read_exactly($stream, $answer['payload_bytes'], $deadline);
        }
        finally {
            fclose($stream);
        }
        if (!$answer['ok'] && (!is_string($answer['error'] ?? null) || trim($answer['error']) === '')) {
            $answer['error'] = 'The S/MIME service refused the request without saying why.';
        }

        return [$answer, $body];
    }

    private function write($stream, $data, $deadline)
    {
        $written = 0;
        $length = strlen($data);
        while ($written < $length) {
            $this->set_timeout($stream, $deadline);
            $done = @fwrite($stream, substr($data, $written, 1048576));
            if ($done === false || $done === 0) {
                throw new mailroom_smime_unavailable(stream_get_meta_data($stream)['timed_out']
                    ? 'The S/MIME service did not answer in time.' : 'The S/MIME service closed the connection.');
            }
            $written += $done;
        }
    }

    private function read_line($stream, $deadline)
    {
        $this->set_timeout($stream, $deadline);
        $line = fgets($stream, self::MAX_HEADER_BYTES);
        if ($line === false || substr($line, -1) !== "\n") {
            throw new mailroom_smime_unavailable(stream_get_meta_data($stream)['timed_out']
                ? 'The S/MIME service did not answer in time.' : 'The S/MIME service gave no answer.');
        }

        return substr($line, 0, -1);
    }

    private function read_exactly($stream, $length, $deadline)
    {
        $chunks = [];
        $left = $length;
        while ($left > 0) {
            $this->set_timeout($stream, $deadline);
            $chunk = fread($stream, min($left, 1048576));
            if ($chunk === false || $chunk === '') {
                if (stream_get_meta_data($stream)['timed_out'] || feof($stream)) {
                    throw new mailroom_smime_unavailable('The S/MIME service gave an answer cut short.');
                }
                continue;
            }
            $chunks[] = $chunk;
            $left -= strlen($chunk);
        }

        return implode('', $chunks);
    }

    private function set_timeout($stream, $deadline)
    {
        $left = $deadline - microtime(true);
        if ($left <= 0) {
            throw new mailroom_smime_unavailable('The S/MIME service did not answer in time.');
        }
        stream_set_timeout($stream, (int) floor($left), (int) (($left - floor($left)) * 1000000));
    }
}
