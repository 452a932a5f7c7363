<?php

/**
 * S/MIME (mailroom.server): Settings > S/MIME certificate (import a PKCS#12 file, see, replace or
 * delete the certificate; recipients' certificates; CAs the user trusts), Sign and Encrypt when
 * composing, and messages decrypted and their signatures checked when reading. Installed by the
 * mailroom.server webmail role, enabled by mailroom.server.mail_encryption (smime: true).
 *
 * Private keys are the S/MIME service's (mailroom-smime, root), asked through its socket with
 * the user's own login and password (lib/mailroom_smime_client.php): it signs and decrypts.
 * Encrypting to certificates and checking signatures need no private key and are done here
 * (lib/mailroom_smime_crypto.php); the MIME work is lib/mailroom_smime_mime.php.
 *
 * Limits (docs/settings.md): no CRL or OCSP checks; drafts are saved as written (neither signed
 * nor encrypted); encryption with Bcc recipients is refused; signed parts nested in other parts
 * (a forwarded signed message) are shown without a check; the Elastic skin only.
 *
 * @license GNU GPLv3+
 */
require_once __DIR__ . '/lib/mailroom_smime_mime.php';
require_once __DIR__ . '/lib/mailroom_smime_status.php';
require_once __DIR__ . '/lib/mailroom_smime_crypto.php';
require_once __DIR__ . '/lib/mailroom_smime_client.php';
require_once __DIR__ . '/lib/mailroom_smime_view.php';
// Extends Mail_mime, which Roundcube's autoloader finds (PEAR's Mail/mime.php).
require_once __DIR__ . '/lib/mailroom_smime_message.php';

class mailroom_smime extends rcube_plugin
{
    const ACTION = 'plugin.mailroom_smime';
    const ACTIONS = ['import', 'delete', 'addcert', 'removecert', 'addtrust', 'removetrust'];
    const TEMP_DIR = '/run/mailroom-smime-webmail';

    public $task = 'mail|settings';

    private $rc;
    private $state = [];
    // The service's status answer, asked once per request.
    private $status;
    // What the box above the message shows (mailroom_smime_view::status_box), once found.
    private $report;
    private $got_content = false;

    function init()
    {
        $this->rc = rcmail::get_instance();
        if ($this->rc->task === 'settings') {
            $this->add_hook('settings_actions', [$this, 'settings_actions']);
            $this->register_action(self::ACTION, [$this, 'show']);
            foreach (self::ACTIONS as $action) {
                $this->register_action(self::ACTION . '-' . $action, [$this, 'change']);
            }
            return;
        }
        if ($this->rc->action === 'compose') {
            $this->add_hook('template_container', [$this, 'compose_options']);
        }
        $this->add_hook('message_ready', [$this, 'message_ready']);
        $this->add_hook('message_part_structure', [$this, 'part_structure']);
        if (in_array($this->rc->action, ['show', 'preview', 'print'])) {
            $this->add_hook('message_body_prefix', [$this, 'body_prefix']);
        }
    }

    function settings_actions($args)
    {
        $this->add_texts('localization/');
        $args['actions'][] = [
            'action' => self::ACTION,
            'class'  => 'mailroom-smime',
            'label'  => 'smimecertificate',
            'title'  => 'smimecertificatetitle',
            'domain' => 'mailroom_smime',
        ];

        return $args;
    }

    // --- settings ----------------------------------------------------------------------------------

    function show()
    {
        $this->add_texts('localization/');
        $this->rc->action = self::ACTION;
        try {
            $status = $this->status();
            $this->state += [
                'certificate' => $status['certificate'],
                'recipients' => $this->describe_all($status['recipients']),
                'trusted' => $this->describe_all($status['trusted']),
            ];
        }
        catch (mailroom_smime_unavailable $e) {
            $this->state['error'] = $e->getMessage();
        }
        $this->register_handler('plugin.mailroom_smime_page', [$this, 'page']);
        $this->include_stylesheet($this->local_skin_path() . '/mailroom_smime.css');
        $this->rc->output->set_pagetitle($this->gettext('smimecertificate'));
        $this->rc->output->send('mailroom_smime.settings');
    }

    function page($attrib)
    {
        $labels = [];
        foreach (mailroom_smime_view::LABELS as $label) {
            $labels[$label] = $this->gettext($label);
        }
        $urls = [];
        foreach (self::ACTIONS as $action) {
            $urls[$action] = $this->rc->url(['_action' => self::ACTION . '-' . $action]);
        }

        return mailroom_smime_view::page($this->state, $labels, $urls, $this->rc->get_request_token());
    }

    /**
     * One change of the settings page (a POST with the request token), then the page.
     */
    function change()
    {
        $this->add_texts('localization/');
        $action = substr($this->rc->action, strlen(self::ACTION) + 1);
        if (!$this->rc->check_request(rcube_utils::INPUT_POST)) {
            $this->rc->output->show_message('invalidrequest', 'error');
            return $this->show();
        }
        try {
            list($answer) = $this->ask_change($action);
            if ($answer['ok']) {
                $this->rc->output->show_message('mailroom_smime.saved', 'confirmation');
            }
            else {
                $this->state['form_error'] = $answer['error'];
            }
        }
        catch (mailroom_smime_unavailable $e) {
            $this->state['form_error'] = $e->getMessage();
        }
        $this->status = null;
        $this->show();
    }

    private function ask_change($action)
    {
        $client = $this->client();
        switch ($action) {
            case 'import':
                $password = rcube_utils::get_input_string('_password', rcube_utils::INPUT_POST, true);
                return $client->call('import', ['p12_password' => $password], $this->upload('_p12'));
            case 'delete':
                return $client->call('delete');
            case 'addcert':
                return $client->call('add_recipient', [], $this->upload('_cert'));
            case 'addtrust':
                return $client->call('add_trust', [], $this->upload('_cert'));
            case 'removecert':
                return $client->call('remove_recipient',
                    ['address' => rcube_utils::get_input_string('_address', rcube_utils::INPUT_POST)]);
            default:
                return $client->call('remove_trust',
                    ['fingerprint' => rcube_utils::get_input_string('_fingerprint', rcube_utils::INPUT_POST)]);
        }
    }

    /**
     * An uploaded file's bytes ('' when there is none: the service says what is missing).
     */
    private function upload($name)
    {
        $file = $_FILES[$name] ?? null;
        if (!$file || ($file['error'] ?? UPLOAD_ERR_NO_FILE) !== UPLOAD_ERR_OK || !is_uploaded_file($file['tmp_name'])) {
            return '';
        }

        return (string) file_get_contents($file['tmp_name']);
    }

    /**
     * address or fingerprint => name, not_after, fingerprint of each PEM the service keeps.
     */
    private function describe_all(array $pems)
    {
        $described = [];
        foreach ($pems as $id => $pem) {
            $cert = @openssl_x509_read($pem);
            if ($cert !== false) {
                $described[$id] = mailroom_smime_status::signer(openssl_x509_parse($cert),
                    openssl_x509_fingerprint($cert, 'sha256'));
            }
        }

        return $described;
    }

    // --- composing -----------------------------------------------------------------------------------

    /**
     * The template_container hook: Sign and Encrypt in Elastic's composeoptions container, drawn
     * when the page is, after Roundcube opened the original of a reply or forward (part_structure):
     * one of an encrypted message starts with Encrypt ticked, one of a signed message with Sign.
     */
    function compose_options($args)
    {
        if (($args['name'] ?? '') !== 'composeoptions') {
            return $args;
        }
        $this->add_texts('localization/');
        $original = $this->report ?: [];
        $args['content'] = ($args['content'] ?? '') . mailroom_smime_view::compose_options($this->gettext('signmessage'),
            $this->gettext('encryptmessage'), !empty($original['signature']), !empty($original['encrypted']));

        return $args;
    }

    // --- sending -------------------------------------------------------------------------------------

    /**
     * The message_ready hook: the message signed and/or encrypted as the compose options ask.
     * Anything missing (no own certificate, a recipient's certificate, Bcc with encryption)
     * stops the sending with a message: never plaintext the user asked to encrypt.
     */
    function message_ready($args)
    {
        $sign = !empty(rcube_utils::get_input_value('_smime_sign', rcube_utils::INPUT_POST));
        $encrypt = !empty(rcube_utils::get_input_value('_smime_encrypt', rcube_utils::INPUT_POST));
        if ((!$sign && !$encrypt) || !empty($_POST['_draft'])) {
            return $args;
        }
        $this->add_texts('localization/');
        $message = $args['message'];
        $headers = $message->headers();
        try {
            if ($encrypt) {
                if (mailroom_smime_mime::addresses($headers['Bcc'] ?? '')) {
                    $this->refuse('mailroom_smime.nobcc');
                }
                $recipients = array_unique(array_merge(mailroom_smime_mime::addresses($headers['To'] ?? ''),
                    mailroom_smime_mime::addresses($headers['Cc'] ?? '')));
                // Without signing, a status request says which certificates there are; with it,
                // the signing request's answer does (one request less, checked before sending).
                if (!$sign) {
                    $certificates = $this->encryption_certificates($recipients);
                }
            }
            $entity = mailroom_smime_message::inner_entity($message);
            if ($sign) {
                list($answer, $signature) = $this->client()->call('sign', [], $entity);
                if (!$answer['ok']) {
                    $this->refuse($answer['error']);
                }
                $this->keep_status($answer);
                list($content_headers, $body) = mailroom_smime_mime::signed($entity, $signature, mailroom_smime_mime::boundary());
            }
            if ($encrypt) {
                if ($sign) {
                    $certificates = $this->encryption_certificates($recipients);
                }
                $inner = $sign ? mailroom_smime_mime::entity($content_headers, $body) : $entity;
                list($content_headers, $body) = mailroom_smime_mime::enveloped($this->crypto()->encrypt($inner, $certificates));
            }
        }
        catch (mailroom_smime_unavailable $e) {
            $this->refuse($e->getMessage());
        }
        catch (Exception $e) {
            // Anything else (openssl, the temporary directory, a header that cannot be signed):
            // logged, and nothing is sent.
            rcube::raise_error(['code' => 500, 'file' => __FILE__, 'line' => __LINE__,
                'message' => 'mailroom_smime: ' . $e->getMessage()], true, false);
            $this->refuse('mailroom_smime.senderror');
        }
        $args['message'] = new mailroom_smime_message($message, $content_headers, $body);

        return $args;
    }

    /**
     * The certificates to encrypt to: every recipient's and the sender's own (to read it in Sent).
     */
    private function encryption_certificates(array $recipients)
    {
        $status = $this->status();
        if (empty($status['certificate']['pem'])) {
            $this->refuse('mailroom_smime.noowncert');
        }
        // The user's own addresses are covered by the user's own certificate.
        $known = $status['recipients'];
        foreach ((array) ($status['certificate']['emails'] ?? []) as $address) {
            $known[$address] = $status['certificate']['pem'];
        }
        $missing = array_values(array_diff($recipients, array_keys($known)));
        if ($missing) {
            $this->refuse('mailroom_smime.nocert', ['email' => implode(', ', $missing)]);
        }
        $certificates = [$status['certificate']['pem']];
        foreach ($recipients as $address) {
            $certificates[] = $known[$address];
        }

        return array_values(array_unique($certificates));
    }

    /**
     * Stops sending: the compose screen shows the message, nothing is sent or saved.
     */
    private function refuse($message, array $vars = [])
    {
        $this->rc->output->show_message($message, 'error', $vars, false);
        $this->rc->output->send('iframe');
        // The browser's output ends the request in send(); any other (the command line's does
        // not) must not go on to send what the user asked to sign or encrypt.
        exit;
    }

    // --- reading -------------------------------------------------------------------------------------

    /**
     * The message_part_structure hook: an encrypted part is replaced by what it decrypts to, an
     * opaque signed part by its content; signatures are checked. The report goes above the body.
     */
    function part_structure($args)
    {
        // Compose (reply, forward, edit) decrypts only the first content part: otherwise a
        // crafted message could make the user's reply carry the plaintext of another (the
        // "decryption oracle" of CVE-2019-10740).
        if ($this->got_content && $this->rc->action === 'compose') {
            return $args;
        }
        $part = $args['structure'];
        $kind = mailroom_smime_mime::kind(strtolower($args['mimetype']), array_change_key_case((array) $part->ctype_parameters));
        if ($kind === null) {
            $this->got_content = $this->got_content || ($part->type ?? null) === 'content';
            return $args;
        }
        $this->got_content = true;
        $this->add_texts('localization/');
        $message = $args['object'];
        $report = ['encrypted' => false, 'signature' => null, 'sender_matches' => false, 'error' => null];
        try {
            if ($kind === mailroom_smime_mime::SIGNED) {
                // The structure stays (attachments are read from IMAP as usual): only the check.
                // A signed part inside another (a forwarded message) is shown unchecked, without a box.
                if (!$part->mime_id) {
                    $this->check_signed($this->rc->get_storage()->get_raw_body($message->uid), $message, $report);
                    $this->report = $this->report ?: $report;
                }
                return $args;
            }
            $entity = $this->open($kind, $this->part_body($message, $part), $message, $report);
            if ($entity !== null) {
                $this->replace_structure($args, rcube_mime::parse_message(mailroom_smime_mime::crlf($entity)), strlen($entity));
            }
        }
        catch (RuntimeException $e) {
            // The service (mailroom_smime_unavailable) or the temporary directory: said above the body.
            $report['error'] = $e->getMessage();
        }
        $this->report = $this->report ?: $report;

        return $args;
    }

    /**
     * The innermost content of an encrypted or opaque signed part (layers: encryption, then
     * signatures, detached or opaque, as the sender nested them), or null when it cannot be opened.
     */
    private function open($kind, $der, $message, array &$report)
    {
        for ($layer = 0; $layer < 4; $layer++) {
            if ($kind !== mailroom_smime_mime::SIGNED) {
                $kind = mailroom_smime_mime::der_kind($der) ?: $kind;
            }
            if ($kind === mailroom_smime_mime::ENVELOPED) {
                list($answer, $entity) = $this->client()->call('decrypt', [], $der);
                if (!$answer['ok']) {
                    $report['error'] = $answer['error'];
                    return null;
                }
                $this->keep_status($answer);
                $report['encrypted'] = true;
            }
            elseif ($kind === mailroom_smime_mime::SIGNED_DATA) {
                list($result, $entity) = $this->crypto()->verify_opaque($der, $this->trusted(), time());
                $this->signature_found($result, $message, $report,
                    "Content-Type: application/pkcs7-mime; smime-type=signed-data\r\nContent-Transfer-Encoding: base64\r\n\r\n"
                    . mailroom_smime_mime::base64_lines($der));
                if ($entity === null) {
                    return null;
                }
            }
            else {
                $entity = $this->check_signed($entity, $message, $report);
                if ($entity === null) {
                    return null;
                }
            }
            list($head) = mailroom_smime_mime::split($entity);
            list($type, $params) = mailroom_smime_mime::content_type(mailroom_smime_mime::header($head, 'Content-Type'));
            $kind = mailroom_smime_mime::kind($type, $params);
            if ($kind === null) {
                return $entity;
            }
            if ($kind !== mailroom_smime_mime::SIGNED) {
                $der = mailroom_smime_mime::decoded_body($entity);
            }
        }

        return $entity;
    }

    /**
     * Checks a multipart/signed entity (headers and body); its signed part, or null when it does
     * not have the two parts of one.
     */
    private function check_signed($entity, $message, array &$report)
    {
        list($head, $body) = mailroom_smime_mime::split($entity);
        list(, $params) = mailroom_smime_mime::content_type(mailroom_smime_mime::header($head, 'Content-Type'));
        $parts = mailroom_smime_mime::signed_parts($body, $params['boundary'] ?? '');
        if ($parts === null) {
            $report['signature'] = ['status' => mailroom_smime_status::INVALID, 'signer' => null];
            return null;
        }
        $result = $this->crypto()->verify_detached($parts[0], mailroom_smime_mime::decoded_body($parts[1]),
            $this->trusted(), time());
        $this->signature_found($result, $message, $report, $entity);

        return $parts[0];
    }

    /**
     * Records a signature's check; a valid one's signer certificate is offered to the service,
     * which keeps it for encrypting to the signer (it checks the signature again itself).
     */
    private function signature_found(array $result, $message, array &$report, $signed_entity)
    {
        if ($result['error'] !== '') {
            rcube::write_log('errors', 'mailroom_smime: signature of message ' . $message->uid . ': ' . $result['status']
                . ' (' . $result['error'] . ')');
        }
        $report['signature'] = ['status' => $result['status'], 'signer' => $result['signer']];
        $from = mailroom_smime_mime::addresses((string) ($message->headers->from ?? ''));
        $report['sender_matches'] = $result['signer'] && mailroom_smime_status::sender_matches($from, $result['signer']['emails']);
        if ($result['status'] === mailroom_smime_status::VALID && $this->rc->action !== 'compose'
                && !$this->already_kept($result['signer'])) {
            $this->client()->call('collect', [], $signed_entity);
        }
    }

    private function already_kept(array $signer)
    {
        $kept = $this->status()['recipients'];
        foreach ($signer['emails'] as $address) {
            $cert = isset($kept[$address]) ? @openssl_x509_read($kept[$address]) : false;
            if ($cert === false || openssl_x509_fingerprint($cert, 'sha256') !== $signer['fingerprint']) {
                return false;
            }
        }

        return true;
    }

    private function part_body($message, $part)
    {
        if ($part->mime_id) {
            return $message->get_part_body($part->mime_id, false);
        }
        // The whole message is the part: its body straight from IMAP (decoded).
        $size = $part->size;
        $part->size = $part->size ?: 1;
        $body = $this->rc->get_storage()->get_message_part($message->uid, $part->mime_id, $part, null, null, true, 0, false);
        $part->size = $size;

        return $body;
    }

    /**
     * The part's structure replaced by what it contained: Roundcube shows and downloads its
     * parts from memory (never from IMAP, where only the encrypted form is).
     */
    private function replace_structure(array &$args, $structure, $size)
    {
        $message = $args['object'];
        $old_id = $args['structure']->mime_id;
        foreach (array_keys($message->mime_parts) as $id) {
            if (!$old_id || $id === $old_id || strpos($id, $old_id . '.') === 0) {
                unset($message->mime_parts[$id]);
            }
        }
        $structure->headers = array_merge($args['structure']->headers, $structure->headers);
        $structure->size = $size;
        $this->rename_parts($structure, $message, $old_id);
        $args['structure'] = $structure;
        $args['mimetype'] = $structure->mimetype;
    }

    private function rename_parts($part, $message, $old_id)
    {
        $part->body_modified = true;
        $part->encoding = 'stream';
        if ($old_id) {
            $part->mime_id = $part->mime_id ? $old_id . '.' . $part->mime_id : $old_id;
        }
        $message->mime_parts[$part->mime_id] = $part;
        foreach ((array) $part->parts as $child) {
            $this->rename_parts($child, $message, $old_id);
        }
    }

    /**
     * The message_body_prefix hook: the box above the first part shown.
     */
    function body_prefix($args)
    {
        if ($this->report === null || !empty($this->report['shown'])) {
            return $args;
        }
        $this->report['shown'] = true;
        $labels = ['encrypted' => $this->gettext('encrypted'), 'mismatch' => $this->gettext('mismatch')];
        foreach (['valid', 'invalid', 'expired', 'unknown'] as $status) {
            $labels['signature_' . $status] = $this->gettext('signature_' . $status);
        }
        $this->include_stylesheet($this->local_skin_path() . '/mailroom_smime.css');
        $args['prefix'] = mailroom_smime_view::status_box($this->report, $labels) . ($args['prefix'] ?? '');

        return $args;
    }

    // --- the service and the crypto ----------------------------------------------------------------------

    private function client()
    {
        return new mailroom_smime_client($this->rc->get_user_name(), $this->rc->get_user_password(),
            (string) $this->rc->config->get('mailroom_smime_socket', mailroom_smime_client::SOCKET));
    }

    private function crypto()
    {
        return new mailroom_smime_crypto((string) $this->rc->config->get('mailroom_smime_temp_dir', self::TEMP_DIR));
    }

    /**
     * @throws mailroom_smime_unavailable when the service does not answer or refuses
     */
    private function status()
    {
        if ($this->status === null) {
            list($answer) = $this->client()->call('status');
            if (!$answer['ok']) {
                throw new mailroom_smime_unavailable($answer['error']);
            }
            $this->keep_status($answer);
        }

        return $this->status;
    }

    /**
     * The status as a status, sign or decrypt answer gives it, for the rest of this request.
     */
    private function keep_status(array $answer)
    {
        $this->status = $answer + ['certificate' => null, 'recipients' => [], 'trusted' => []];
        $this->status['recipients'] = (array) $this->status['recipients'];
        $this->status['trusted'] = (array) $this->status['trusted'];
    }

    private function trusted()
    {
        return array_values($this->status()['trusted']);
    }
}
