<?php

/**
 * The webmail's side of the external POP3 service (mailroom.server external_pop3 role): one
 * request per connection to its Unix socket, one JSON line out, one JSON line back. Plain PHP,
 * no Roundcube (tested on its own against a socket server of the test's).
 *
 * Every request carries the logged-in user's login and password; the service checks them with
 * Dovecot and acts on that user only. Neither is ever logged or put into a message here.
 *
 * An answer of the service is an array with "ok" true, or "ok" false and "error" (a text for the
 * user, from the service or the external server: it may hold anything, HTML or newlines). When
 * there is no answer (no socket, nobody listening, a timeout, something that is not one JSON
 * object) mailroom_external_pop3_unavailable is thrown instead.
 *
 * @license GNU GPLv3+
 */
class mailroom_external_pop3_unavailable extends RuntimeException
{
    // Why: the socket is not there or nobody listens, no answer in time, an answer that is not
    // the service's, a request that cannot be written as JSON.
    const NOT_RUNNING = 'notrunning';
    const TIMEOUT = 'timeout';
    const BAD_ANSWER = 'badanswer';
    const BAD_REQUEST = 'badrequest';

    public $reason;

    public function __construct($reason, $message)
    {
        parent::__construct($message);
        $this->reason = $reason;
    }
}

class mailroom_external_pop3_client
{
    const SOCKET = '/run/mailroom-external-pop3/webmail.sock';
    // Seconds: an answer of the service itself, and a connection test (the service gives the
    // external server up to a minute, and Dovecot checks the password first).
    const TIMEOUT = 30;
    const TEST_TIMEOUT = 90;
    // An answer is a few accounts: anything longer is not the service's.
    const MAX_ANSWER_BYTES = 1048576;

    private $socket;
    private $timeout;
    private $test_timeout;

    public function __construct($socket = self::SOCKET, $timeout = self::TIMEOUT, $test_timeout = self::TEST_TIMEOUT)
    {
        $this->socket = (string) $socket;
        $this->timeout = (float) $timeout;
        $this->test_timeout = (float) $test_timeout;
    }

    /**
     * {"ok": true, "policy": {...}, "accounts": [...]}
     */
    public function list_accounts($user, $password)
    {
        return $this->call('list', $user, $password);
    }

    /**
     * $account: id (absent for a new account), server, port, tls, login, password ("" keeps the
     * stored one), keep, folder, paused. {"ok": true, "account": {...}}
     */
    public function save($user, $password, array $account)
    {
        return $this->call('save', $user, $password, ['account' => $account]);
    }

    /**
     * As save(), nothing stored: {"ok": true, "message": ...} or the external server's answer
     * as "error".
     */
    public function test($user, $password, array $account)
    {
        return $this->call('test', $user, $password, ['account' => $account], $this->test_timeout);
    }

    public function remove($user, $password, $id)
    {
        return $this->call('remove', $user, $password, ['id' => (string) $id]);
    }

    /**
     * Starts a fetch of all the user's accounts now (the service does not wait for it).
     */
    public function fetch($user, $password)
    {
        return $this->call('fetch', $user, $password);
    }

    /**
     * One request: the service's answer (an array with a boolean "ok"; "error" a string when
     * "ok" is false).
     *
     * @throws mailroom_external_pop3_unavailable when there is no such answer
     */
    public function call($op, $user, $password, array $fields = [], $timeout = null)
    {
        $request = ['op' => (string) $op, 'user' => (string) $user, 'password' => (string) $password] + $fields;
        // JSON escapes every control character: the request is one line, whatever it holds.
        $line = json_encode($request, JSON_UNESCAPED_SLASHES | JSON_UNESCAPED_UNICODE);
        if ($line === false) {
            // Not UTF-8 (a password or field in another charset): nothing is sent.
            throw new mailroom_external_pop3_unavailable(mailroom_external_pop3_unavailable::BAD_REQUEST,
                'The request could not be encoded (text that is not UTF-8).');
        }

        $answer = $this->exchange($line . "\n", $timeout === null ? $this->timeout : (float) $timeout);

        $data = json_decode($answer, true, 64);
        if (!is_array($data) || !array_key_exists('ok', $data) || !is_bool($data['ok'])) {
            throw new mailroom_external_pop3_unavailable(mailroom_external_pop3_unavailable::BAD_ANSWER,
                'The external accounts service gave an answer that is not its own.');
        }
        if (!$data['ok'] && (!isset($data['error']) || !is_string($data['error']) || trim($data['error']) === '')) {
            $data['error'] = 'The external accounts service refused the request without saying why.';
        }

        return $data;
    }

    /**
     * Writes $request, reads one line (without its "\n"), all within $timeout seconds.
     */
    private function exchange($request, $timeout)
    {
        $deadline = microtime(true) + $timeout;
        $errno = 0;
        $errstr = '';
        // Connecting to a socket that is not there, or that nobody listens on, fails at once.
        $stream = @stream_socket_client('unix://' . $this->socket, $errno, $errstr, $timeout);
        if ($stream === false) {
            throw new mailroom_external_pop3_unavailable(mailroom_external_pop3_unavailable::NOT_RUNNING,
                'The external accounts service is not running (' . $this->socket . ': ' . $errstr . ').');
        }

        try {
            $written = 0;
            $length = strlen($request);
            while ($written < $length) {
                $this->set_timeout($stream, $deadline);
                $done = @fwrite($stream, substr($request, $written));
                if ($done === false || $done === 0) {
                    if (stream_get_meta_data($stream)['timed_out']) {
                        $this->timed_out();
                    }
                    throw new mailroom_external_pop3_unavailable(mailroom_external_pop3_unavailable::NOT_RUNNING,
                        'The external accounts service is not running (it closed the connection).');
                }
                $written += $done;
            }
            // The whole request is out: the service may read to the end as well as to the newline.
            @stream_socket_shutdown($stream, STREAM_SHUT_WR);

            $answer = '';
            while (strpos($answer, "\n") === false) {
                if (strlen($answer) > self::MAX_ANSWER_BYTES) {
                    throw new mailroom_external_pop3_unavailable(mailroom_external_pop3_unavailable::BAD_ANSWER,
                        'The external accounts service gave an answer that is not its own (too long).');
                }
                $this->set_timeout($stream, $deadline);
                $chunk = @fread($stream, 65536);
                if ($chunk === false || $chunk === '') {
                    if (stream_get_meta_data($stream)['timed_out']) {
                        $this->timed_out();
                    }
                    if (feof($stream)) {
                        break;
                    }
                    continue;
                }
                $answer .= $chunk;
            }
        }
        finally {
            fclose($stream);
        }

        if ($answer === '') {
            throw new mailroom_external_pop3_unavailable(mailroom_external_pop3_unavailable::NOT_RUNNING,
                'The external accounts service is not running (it closed the connection without an answer).');
        }

        // One line: a server that closes without the newline still said all it had to say.
        return explode("\n", $answer, 2)[0];
    }

    private function set_timeout($stream, $deadline)
    {
        $left = $deadline - microtime(true);
        if ($left <= 0) {
            $this->timed_out();
        }
        stream_set_timeout($stream, (int) floor($left), (int) (($left - floor($left)) * 1000000));
    }

    private function timed_out()
    {
        throw new mailroom_external_pop3_unavailable(mailroom_external_pop3_unavailable::TIMEOUT,
            'The external accounts service did not answer in time.');
    }
}
