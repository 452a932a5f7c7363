<?php

/**
 * scripts/bench smime, inside the mail host, as www-data (the web server's user, the only one the
 * key service's socket lets in): the mailroom_smime plugin's own hooks on a 10 MB message, run by
 * Roundcube's classes from the command line against the real key service.
 *
 *   php smime_harness.php setup  USER PASSWORD P12 P12_PASSWORD RECIPIENT_CERT CA_CERT
 *   php smime_harness.php status USER PASSWORD RUNS
 *   php smime_harness.php send   USER PASSWORD FROM TO ATTACHMENT_BYTES ENTITY_OUT MESSAGE_OUT
 *   php smime_harness.php read   USER PASSWORD FROM MESSAGE_IN
 *
 * Each prints one JSON line: seconds of the timed work, PHP's peak memory during it and the
 * process's peak RSS (VmHWM). One run per process, as one web request is one PHP request.
 *
 * What is not Roundcube's own here: the request around the hooks (no browser, no session; the
 * user's login and password handed in as Roundcube would from its session) and IMAP (reading
 * gets the message's body from a file, decoded from base64 as Roundcube decodes what Dovecot
 * sends). The service, its password check, the plugin's code and Roundcube's MIME classes are
 * the ones a user's request runs.
 *
 * @license GNU GPLv3+
 */
define('INSTALL_PATH', (getenv('ROUNDCUBE_HOME') ?: '/usr/share/roundcube') . '/');
$plugin_dir = getenv('MAILROOM_SMIME_PLUGIN') ?: '/var/lib/roundcube/plugins/mailroom_smime';

// Roundcube's bootstrap without rcmail's (which opens the database and a session): the
// classes, the configuration and the plugin API are what the plugin's hooks use.
require_once INSTALL_PATH . 'program/include/iniset.php';
require_once $plugin_dir . '/mailroom_smime.php';
// The harness's own tests run against a socket and a folder of their own.
foreach (['mailroom_smime_socket' => 'MAILROOM_SMIME_SOCKET', 'mailroom_smime_temp_dir' => 'MAILROOM_SMIME_TEMP_DIR'] as $name => $variable) {
    if (getenv($variable)) {
        rcube::get_instance()->config->set($name, getenv($variable));
    }
}

/**
 * What the plugin asks of rcmail in its sending and reading hooks, with the user a logged-in
 * session would have. A refusal (output->send) stops the run with its message.
 */
class bench_rcmail
{
    public $task = 'mail';
    public $action = 'show';
    public $config;
    public $output;
    private $user;
    private $password;
    private $storage;

    public function __construct($user, $password, $storage = null)
    {
        $this->config = rcube::get_instance()->config;
        $this->output = new bench_output();
        $this->user = $user;
        $this->password = $password;
        $this->storage = $storage;
    }

    public function get_user_name()
    {
        return $this->user;
    }

    public function get_user_password()
    {
        return $this->password;
    }

    public function get_storage()
    {
        return $this->storage;
    }
}

class bench_output
{
    private $message = '';

    public function show_message($message, $type = 'notice', $vars = null)
    {
        $this->message = $message . ($vars ? ' ' . json_encode($vars) : '');
    }

    public function send()
    {
        fwrite(STDERR, 'the plugin refused: ' . $this->message . "\n");
        exit(2);
    }

    public function include_css($url)
    {
    }
}

/**
 * IMAP's part of reading: the message's body, decoded, as rcube_imap::get_message_part gives it.
 */
class bench_storage
{
    private $body;

    public function __construct($body)
    {
        $this->body = $body;
    }

    public function get_message_part($uid, $part, $o_part = null)
    {
        return rcube_mime::decode($this->body, $o_part->encoding);
    }

    public function get_raw_body($uid)
    {
        throw new RuntimeException('the benchmark reads an encrypted message, not a signed one');
    }
}

function bench_plugin($rc)
{
    $plugin = new mailroom_smime(rcube_plugin_api::get_instance());
    // init() would take rcmail's own instance: the benchmark's stands in for the request.
    $property = new ReflectionProperty('mailroom_smime', 'rc');
    $property->setAccessible(true);
    $property->setValue($plugin, $rc);

    return $plugin;
}

function peak_rss_kib()
{
    preg_match('/^VmHWM:\s+(\d+)/m', (string) @file_get_contents('/proc/self/status'), $match);

    return $match ? (int) $match[1] : null;
}

/**
 * Times $work from a reset memory peak: [seconds, its result, PHP peak bytes].
 */
function timed(callable $work)
{
    gc_collect_cycles();
    memory_reset_peak_usage();
    $started = hrtime(true);
    $result = $work();
    $seconds = (hrtime(true) - $started) / 1e9;

    return [$seconds, $result, memory_get_peak_usage()];
}

function answer(array $figures)
{
    echo json_encode($figures + ['rss_peak_kib' => peak_rss_kib()]), "\n";
}

function service_call($user, $password, $op, array $fields = [], $payload = '')
{
    $client = new mailroom_smime_client($user, $password,
        (string) rcube::get_instance()->config->get('mailroom_smime_socket', mailroom_smime_client::SOCKET));
    list($reply) = $client->call($op, $fields, $payload);
    if (!$reply['ok']) {
        fwrite(STDERR, "the service refused '$op': " . $reply['error'] . "\n");
        exit(2);
    }

    return $reply;
}

function setup($user, $password, $p12, $p12_password, $recipient_cert, $ca_cert)
{
    service_call($user, $password, 'import', ['p12_password' => $p12_password], file_get_contents($p12));
    service_call($user, $password, 'add_recipient', [], file_get_contents($recipient_cert));
    service_call($user, $password, 'add_trust', [], file_get_contents($ca_cert));
    $status = service_call($user, $password, 'status');
    answer(['emails' => $status['certificate']['emails'] ?? null, 'recipients' => array_keys((array) $status['recipients'])]);
}

function status_requests($user, $password, $runs)
{
    $seconds = [];
    for ($run = 0; $run < $runs; $run++) {
        list($elapsed) = timed(function () use ($user, $password) {
            return service_call($user, $password, 'status');
        });
        $seconds[] = $elapsed;
    }
    answer(['seconds' => $seconds]);
}

/**
 * A message as Roundcube's compose builds it (rcmail_sendmail: Mail_mime, a text body, one
 * attachment base64), then the plugin's message_ready hook with Sign and Encrypt ticked.
 */
function send($user, $password, $from, $to, $attachment_bytes, $entity_out, $message_out)
{
    $message = new Mail_mime(['eol' => "\r\n", 'head_charset' => 'UTF-8', 'text_charset' => 'UTF-8',
        'html_charset' => 'UTF-8']);
    $message->headers(['From' => $from, 'To' => $to, 'Subject' => 'scripts/bench smime',
        'Date' => date('r'), 'Message-ID' => '<' . bin2hex(random_bytes(8)) . '@bench.test>']);
    $message->setTXTBody("The attachment is random bytes.\r\n");
    $message->addAttachment(random_bytes((int) $attachment_bytes), 'application/octet-stream', 'random.bin',
        false, 'base64');
    $_POST = ['_smime_sign' => '1', '_smime_encrypt' => '1'];
    $plugin = bench_plugin(new bench_rcmail($user, $password));

    list($seconds, $args, $php_peak) = timed(function () use ($plugin, $message) {
        return $plugin->message_ready(['message' => $message]);
    });
    $sent = $args['message'];
    if (!$sent instanceof mailroom_smime_message) {
        fwrite(STDERR, "message_ready left the message as it was\n");
        exit(2);
    }
    // What Roundcube hands to SMTP: the headers and the body.
    $head = $sent->txtHeaders();
    file_put_contents($message_out, $head . "\r\n" . $sent->get());
    // The entity the plugin signed, for openssl cms on the same data: building it again gives
    // another boundary but the same bytes otherwise, and times the part of the hook that
    // Roundcube's sending does anyway (Mail_mime encoding the message).
    list($build_seconds, $entity) = timed(function () use ($message) {
        return mailroom_smime_message::inner_entity($message);
    });
    file_put_contents($entity_out, $entity);
    answer(['seconds' => $seconds, 'build_seconds' => $build_seconds, 'php_peak_bytes' => $php_peak,
        'message_bytes' => filesize($message_out), 'entity_bytes' => filesize($entity_out)]);
}

/**
 * The plugin's message_part_structure hook on the encrypted message (decrypt through the
 * service, verify, parse into Roundcube's structure), then its text part's body from the result.
 */
function read($user, $password, $from, $message_in)
{
    $raw = file_get_contents($message_in);
    list($head, $body) = explode("\r\n\r\n", $raw, 2);
    $structure = rcube_mime::parse_message($head . "\r\n\r\n");
    $structure->mime_id = '';
    $structure->size = strlen($body);
    unset($raw);
    $headers = new rcube_message_header();
    $headers->from = $from;
    $message = new stdClass();
    $message->uid = 1;
    $message->headers = $headers;
    $message->mime_parts = [];
    $plugin = bench_plugin(new bench_rcmail($user, $password, new bench_storage($body)));

    list($seconds, $args, $php_peak) = timed(function () use ($plugin, $message, $structure) {
        $args = $plugin->part_structure(['object' => $message, 'structure' => $structure,
            'mimetype' => $structure->mimetype, 'recursive' => true]);
        // Roundcube then shows the text part: from memory, the message is not on IMAP in clear.
        foreach ($message->mime_parts as $part) {
            if ($part->mimetype === 'text/plain') {
                // rcube_message::get_part_body gives a 'stream' part's body as it is.
                $args['text'] = $part->body;
                break;
            }
        }
        return $args;
    });
    $report = (new ReflectionProperty('mailroom_smime', 'report'));
    $report->setAccessible(true);
    $found = $report->getValue($plugin);
    answer(['seconds' => $seconds, 'php_peak_bytes' => $php_peak, 'mimetype' => $args['mimetype'],
        'encrypted' => $found['encrypted'] ?? null, 'signature' => $found['signature']['status'] ?? null,
        'error' => $found['error'] ?? null, 'text' => $args['text'] ?? null,
        'parts' => count($message->mime_parts)]);
}

$mode = $argv[1] ?? '';
$modes = ['setup' => 'setup', 'status' => 'status_requests', 'send' => 'send', 'read' => 'read'];
if (!isset($modes[$mode])) {
    fwrite(STDERR, "usage: php smime_harness.php setup|status|send|read ...\n");
    exit(1);
}
call_user_func_array($modes[$mode], array_slice($argv, 2));
