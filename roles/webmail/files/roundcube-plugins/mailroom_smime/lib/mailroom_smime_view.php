<?php

/**
 * The S/MIME plugin's HTML: the settings page, the compose options and the box above a message
 * that was encrypted or signed. Plain PHP, no Roundcube (tested on its own): the plugin passes
 * the labels, URLs and request token in. Everything shown (certificate names, the service's
 * errors) may hold anything: every text is escaped, in elements and quoted attributes alike.
 *
 * Stable for the browser test (docs/webmail.md):
 * - settings: div#mailroom-smime; div#mailroom-smime-error (the service gave no answer);
 *   div#mailroom-smime-form-error (an upload refused); dl#mailroom-smime-certificate (dd.subject,
 *   dd.issuer, dd.emails, dd.not-after, dd.fingerprint) or p#mailroom-smime-none;
 *   form#mailroom-smime-import-form (input[name=_p12], input[name=_password], button.import);
 *   form#mailroom-smime-delete-form (button.delete); table#mailroom-smime-recipients
 *   (tr[data-address], form.remove-form); form#mailroom-smime-addcert-form (input[name=_cert]);
 *   table#mailroom-smime-trusted (tr[data-fingerprint], form.remove-form);
 *   form#mailroom-smime-addtrust-form (input[name=_cert]).
 * - compose: input#mailroom-smime-sign[name=_smime_sign], input#mailroom-smime-encrypt[name=_smime_encrypt].
 * - message: div#mailroom-smime-status with data-encrypted (1 or 0), data-signature (valid,
 *   invalid, expired, unknown, or none) and data-signer (the signer's first address), holding
 *   p.encrypted, p.signature, p.mismatch (the sender is not the signer) and p.error.
 *
 * @license GNU GPLv3+
 */
class mailroom_smime_view
{
    const ID = 'mailroom-smime';

    const LABELS = [
        'certificate', 'nocertificate', 'subject', 'issuer', 'emails', 'validuntil', 'fingerprint',
        'importtitle', 'importhint', 'p12file', 'p12password', 'import', 'replace', 'delete',
        'recipients', 'norecipients', 'address', 'remove', 'addcert', 'certfile', 'add',
        'trusted', 'notrusted', 'addtrust', 'serviceerror', 'formerror',
    ];

    /**
     * @param array $state  error (the service gave no answer: nothing else is shown), form_error,
     *                      certificate (the service's facts, or null), recipients (address =>
     *                      describe()), trusted (fingerprint => describe())
     * @param array $labels name => text, for each of LABELS
     * @param array $urls   import, delete, addcert, removecert, addtrust, removetrust
     */
    public static function page(array $state, array $labels, array $urls, $token)
    {
        $html = '<div id="' . self::ID . '" class="mailroom-smime">';
        if (isset($state['error'])) {
            return $html . '<div id="' . self::ID . '-error" class="boxerror" role="alert"><p>'
                . self::q($labels['serviceerror']) . '</p><p class="server-text">' . self::q($state['error'])
                . '</p></div></div>';
        }
        if (!empty($state['form_error'])) {
            $html .= '<div id="' . self::ID . '-form-error" class="boxerror" role="alert"><p>'
                . self::q($labels['formerror']) . '</p><p class="server-text">' . self::q($state['form_error'])
                . '</p></div>';
        }

        $own = $state['certificate'] ?? null;
        $html .= '<h3>' . self::q($labels['certificate']) . '</h3>';
        if ($own) {
            $html .= '<dl id="' . self::ID . '-certificate">'
                . self::fact($labels['subject'], 'subject', $own['subject'] ?? '')
                . self::fact($labels['issuer'], 'issuer', $own['issuer'] ?? '')
                . self::fact($labels['emails'], 'emails', implode(', ', (array) ($own['emails'] ?? [])))
                . self::fact($labels['validuntil'], 'not-after', $own['not_after'] ?? '')
                . self::fact($labels['fingerprint'], 'fingerprint', $own['fingerprint'] ?? '')
                . '</dl>'
                . self::form('delete-form', $urls['delete'], $token, '', 'delete', $labels['delete']);
        }
        else {
            $html .= '<p id="' . self::ID . '-none">' . self::q($labels['nocertificate']) . '</p>';
        }

        $html .= '<h3>' . self::q($labels['importtitle']) . '</h3><p class="hint">' . self::q($labels['importhint']) . '</p>'
            . self::form('import-form', $urls['import'], $token,
                self::field($labels['p12file'], '<input type="file" name="_p12" id="' . self::ID . '-p12" accept=".p12,.pfx,application/x-pkcs12" required>', 'p12')
                . self::field($labels['p12password'], '<input type="password" name="_password" id="' . self::ID . '-password" autocomplete="off">', 'password'),
                'import', $own ? $labels['replace'] : $labels['import'], true);

        $html .= self::cert_table('recipients', $labels['recipients'], $labels['norecipients'], $state['recipients'] ?? [],
                'address', $urls['removecert'], $token, $labels)
            . self::form('addcert-form', $urls['addcert'], $token,
                self::field($labels['certfile'], '<input type="file" name="_cert" id="' . self::ID . '-cert" required>', 'cert'),
                'add', $labels['addcert'], true);
        $html .= self::cert_table('trusted', $labels['trusted'], $labels['notrusted'], $state['trusted'] ?? [],
                'fingerprint', $urls['removetrust'], $token, $labels)
            . self::form('addtrust-form', $urls['addtrust'], $token,
                self::field($labels['certfile'], '<input type="file" name="_cert" id="' . self::ID . '-trustcert" required>', 'trustcert'),
                'add', $labels['addtrust'], true);

        return $html . '</div>';
    }

    /**
     * The Sign and Encrypt options of the compose screen (Elastic's composeoptions container).
     */
    public static function compose_options($sign_label, $encrypt_label, $sign, $encrypt)
    {
        $html = '';
        foreach ([['sign', $sign_label, $sign], ['encrypt', $encrypt_label, $encrypt]] as list($name, $label, $on)) {
            $id = self::ID . '-' . $name;
            $html .= '<div class="form-group form-check row"><label for="' . $id . '" class="col-form-label col-6">'
                . self::q($label) . '</label><div class="form-check col-6"><input type="checkbox" class="form-check-input"'
                . ' name="_smime_' . $name . '" id="' . $id . '" value="1"' . ($on ? ' checked' : '') . '></div></div>';
        }

        return $html;
    }

    /**
     * The box above a message: $report has encrypted (bool), signature (null, or status,
     * signer: mailroom_smime_status::signer), sender_matches (bool), error (text or null).
     * $labels: encrypted, signature_<status>, mismatch; $signer_text fills $signer in them.
     */
    public static function status_box(array $report, array $labels)
    {
        $signature = $report['signature'] ?? null;
        $status = $signature['status'] ?? 'none';
        $signer = $signature['signer'] ?? null;
        $who = $signer ? trim($signer['name'] . ' <' . implode(', ', $signer['emails']) . '>') : '?';
        $classes = ['mailroom-smime-status', 'status-' . $status];
        $kind = $status === 'valid' ? 'boxconfirmation' : ($status === 'none' && empty($report['error']) ? 'boxinformation' : 'boxwarning');
        $html = '<div id="' . self::ID . '-status" class="' . $kind . ' ' . self::q(implode(' ', $classes)) . '"'
            . ' data-encrypted="' . (empty($report['encrypted']) ? '0' : '1') . '"'
            . ' data-signature="' . self::q($status) . '"'
            . ' data-signer="' . self::q($signer['emails'][0] ?? '') . '">';
        if (!empty($report['encrypted'])) {
            $html .= '<p class="encrypted">' . self::q($labels['encrypted']) . '</p>';
        }
        if ($signature) {
            $html .= '<p class="signature">' . self::q(str_replace('$signer', $who, $labels['signature_' . $status])) . '</p>';
            if ($status !== 'invalid' && $signer && empty($report['sender_matches'])) {
                $html .= '<p class="mismatch">' . self::q($labels['mismatch']) . '</p>';
            }
        }
        if (!empty($report['error'])) {
            $html .= '<p class="error">' . self::q($report['error']) . '</p>';
        }

        return $html . '</div>';
    }

    private static function cert_table($name, $title, $empty, array $certs, $key, $remove_url, $token, array $labels)
    {
        $html = '<h3>' . self::q($title) . '</h3>';
        if (!$certs) {
            return $html . '<p id="' . self::ID . '-' . $name . '-empty">' . self::q($empty) . '</p>';
        }
        $html .= '<table id="' . self::ID . '-' . $name . '" class="records-table"><tbody>';
        foreach ($certs as $id => $cert) {
            $html .= '<tr data-' . $key . '="' . self::q($id) . '"><td class="' . $key . '">' . self::q($id) . '</td>'
                . '<td class="subject">' . self::q($cert['name'] ?? '') . '</td>'
                . '<td class="not-after">' . self::q(isset($cert['not_after']) ? gmdate('Y-m-d', $cert['not_after']) : '') . '</td>'
                . '<td class="actions">' . self::form(null, $remove_url, $token,
                    '<input type="hidden" name="_' . $key . '" value="' . self::q($id) . '">', 'remove', $labels['remove'])
                . '</td></tr>';
        }

        return $html . '</tbody></table>';
    }

    private static function form($id, $url, $token, $fields, $button, $label, $upload = false)
    {
        return '<form method="post" action="' . self::q($url) . '"'
            . ($id ? ' id="' . self::ID . '-' . $id . '"' : ' class="remove-form"')
            . ($upload ? ' enctype="multipart/form-data"' : '') . '>'
            . '<input type="hidden" name="_token" value="' . self::q($token) . '">' . $fields
            . '<button type="submit" class="button ' . $button . '">' . self::q($label) . '</button></form>';
    }

    private static function field($label, $input, $name)
    {
        return '<div class="form-group row"><label class="col-form-label col-sm-4" for="' . self::ID . '-' . $name . '">'
            . self::q($label) . '</label><div class="col-sm-8">' . $input . '</div></div>';
    }

    private static function fact($label, $class, $value)
    {
        return '<dt>' . self::q($label) . '</dt><dd class="' . $class . '">' . self::q($value) . '</dd>';
    }

    private static function q($text)
    {
        return htmlspecialchars((string) $text, ENT_QUOTES | ENT_SUBSTITUTE | ENT_HTML5, 'UTF-8');
    }
}
