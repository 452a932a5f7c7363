<?php

/**
 * The External accounts page's content, as HTML. Plain PHP, no Roundcube (tested on its own):
 * the plugin passes the service's answer (made safe to handle by mailroom_external_pop3_account),
 * Roundcube's labels, a date formatter, the actions' URLs and the request token in.
 *
 * Everything shown comes from the service, from external servers (errors, their answers) or
 * from the user, and may hold anything: every text is escaped, in elements and in quoted
 * attributes alike, and newlines are kept by CSS (white-space), never made into markup.
 *
 * Stable for the browser test (docs/webmail.md): div#mailroom-external-pop3 holding
 * p#mailroom-external-pop3-policy (class allowed or disabled, data-interval-minutes,
 * data-max-accounts), table#mailroom-external-pop3-accounts with one tr.account[data-account-id]
 * per account (td.server, td.tls, td.login, td.keep, td.folder, td.state, td.last-run,
 * td.count with data-last-count and data-total, td.actions with a.edit, form.pause-form,
 * form.remove-form) followed by tr.last-error when the last run failed, or
 * p#mailroom-external-pop3-empty; form.fetch-form (button.fetch); form#mailroom-external-pop3-form
 * (button.save, button.test), div#mailroom-external-pop3-form-error,
 * div#mailroom-external-pop3-test-result; p#mailroom-external-pop3-limit at the limit;
 * div#mailroom-external-pop3-error when the service gave no list.
 *
 * @license GNU GPLv3+
 */
class mailroom_external_pop3_view
{
    const ID = 'mailroom-external-pop3';

    // The labels the view uses; the plugin passes each (a test passes its own).
    const LABELS = [
        'policyinterval', 'policymax', 'disabled', 'accounts', 'server', 'tls', 'login', 'onserver',
        'folder', 'state', 'lastrun', 'fetched', 'actions', 'never', 'kept', 'deleted', 'active',
        'paused', 'lasterror', 'edit', 'pause', 'resume', 'remove', 'noaccounts', 'fetchnow',
        'addaccount', 'editaccount', 'port', 'password', 'passwordkeep', 'keep', 'pausedfield',
        'save', 'test', 'cancel', 'limitreached', 'tls_pop3s', 'tls_starttls', 'tls_none',
        'tlsshort_pop3s', 'tlsshort_starttls', 'tlsshort_none',
        'passwordagain',
        'formerror', 'testok', 'testfailed', 'serviceerror',
    ];

    /**
     * The whole content of the page.
     *
     * @param array    $state   error (text: the service gave no list; nothing else is shown),
     *                          policy and accounts (mailroom_external_pop3_account), form (the
     *                          form's values, null for an empty new one), form_error (the
     *                          service's refusal of a save), test (null, or ok and text: the
     *                          outcome of a connection test), folders (value => label)
     * @param array    $labels  name => text, for each of LABELS ($n, $m and $name are filled in)
     * @param callable $format_date  a last_run (ISO 8601 text) => text
     * @param array    $urls    show, save, test, remove, pause, fetch
     * @param string   $token   Roundcube's request token
     */
    public static function page(array $state, array $labels, callable $format_date, array $urls, $token)
    {
        $html = '<div id="' . self::ID . '" class="mailroom-external-pop3">';
        if (isset($state['error'])) {
            return $html . '<div id="' . self::ID . '-error" class="boxerror" role="alert">'
                . '<p class="message">' . self::q($labels['serviceerror']) . '</p>'
                . '<p class="server-text">' . self::q($state['error']) . '</p></div></div>';
        }

        $policy = $state['policy'];
        $accounts = $state['accounts'];
        $editing = $policy['allowed'] && isset($state['form']['id']) ? $state['form']['id'] : null;

        $html .= self::policy($policy, $labels);
        $html .= '<h3 class="accounts-title">' . self::q($labels['accounts']) . '</h3>';
        $html .= self::accounts($accounts, $policy['allowed'], $labels, $format_date, $urls, $token, $editing);

        if ($policy['allowed']) {
            $fetchable = array_filter($accounts, function ($a) {
                return $a['id'] !== null && !$a['paused'];
            });
            if ($fetchable) {
                $html .= '<form class="fetch-form" method="post" action="' . self::q($urls['fetch']) . '">'
                    . self::hidden('_token', $token)
                    . '<button type="submit" class="btn btn-secondary fetch">' . self::q($labels['fetchnow']) . '</button>'
                    . '</form>';
            }

            if ($editing !== null || count($accounts) < $policy['max_accounts_per_user']) {
                $html .= self::form($state, $policy, $labels, $urls, $token);
            }
            else {
                $html .= '<p id="' . self::ID . '-limit" class="hint limit">'
                    . self::q(self::fill($labels['limitreached'], ['$n' => $policy['max_accounts_per_user']])) . '</p>';
            }
        }

        return $html . '</div>';
    }

    private static function policy(array $policy, array $labels)
    {
        $attributes = ' data-interval-minutes="' . (int) $policy['interval_minutes'] . '"'
            . ' data-max-accounts="' . (int) $policy['max_accounts_per_user'] . '"';
        if (!$policy['allowed']) {
            return '<p id="' . self::ID . '-policy" class="disabled boxwarning"' . $attributes . '>'
                . self::q($labels['disabled']) . '</p>';
        }

        return '<p id="' . self::ID . '-policy" class="allowed hint"' . $attributes . '>'
            . self::q(self::fill($labels['policyinterval'], ['$n' => $policy['interval_minutes']])) . ' '
            . self::q(self::fill($labels['policymax'], ['$n' => $policy['max_accounts_per_user']])) . '</p>';
    }

    private static function accounts(array $accounts, $allowed, array $labels, callable $format_date, array $urls,
        $token, $editing)
    {
        $columns = ['server' => 'server', 'tls' => 'tls', 'login' => 'login', 'keep' => 'onserver',
                    'folder' => 'folder', 'state' => 'state', 'last-run' => 'lastrun', 'count' => 'fetched',
                    'actions' => 'actions'];
        $head = '';
        foreach ($columns as $class => $label) {
            $head .= '<th scope="col" class="' . $class . '">' . self::q($labels[$label]) . '</th>';
        }

        $rows = '';
        foreach ($accounts as $account) {
            $id = $account['id'];
            $name = $account['login'] . ' @ ' . $account['server'];
            $tls_label = 'tlsshort_' . $account['tls'];
            $actions = '';
            // Turned off by the administrator, the accounts are only listed (the service refuses
            // every change then).
            if ($id !== null && $allowed) {
                $actions = '<a class="btn btn-secondary btn-sm edit" href="'
                    . self::q($urls['show'] . '&_edit=' . $id) . '">' . self::q($labels['edit']) . '</a> '
                    . '<form class="pause-form" method="post" action="' . self::q($urls['pause']) . '">'
                    . self::hidden('_token', $token) . self::hidden('_id', $id)
                    . self::hidden('_paused', $account['paused'] ? '0' : '1')
                    . '<button type="submit" class="btn btn-secondary btn-sm ' . ($account['paused'] ? 'resume' : 'pause')
                    . '">' . self::q($labels[$account['paused'] ? 'resume' : 'pause']) . '</button></form> '
                    . '<form class="remove-form" method="post" action="' . self::q($urls['remove']) . '">'
                    . self::hidden('_token', $token) . self::hidden('_id', $id)
                    . '<button type="submit" class="btn btn-danger btn-sm remove" data-account-name="' . self::q($name) . '">'
                    . self::q($labels['remove']) . '</button></form>';
            }

            $last_run = $account['last_run'] === null ? $labels['never'] : $format_date($account['last_run']);
            $row_class = 'account' . ($account['paused'] ? ' paused' : '') . ($account['last_error'] !== null ? ' failed' : '')
                . ($editing !== null && $editing === $id ? ' editing' : '');
            $rows .= '<tr class="' . $row_class . '" data-account-id="' . self::q($id) . '">'
                . '<td class="server">' . self::q($account['server'])
                    . ($account['port'] !== null ? ':' . (int) $account['port'] : '') . '</td>'
                . '<td class="tls" data-tls="' . self::q($account['tls']) . '">'
                    . self::q(isset($labels[$tls_label]) ? $labels[$tls_label] : $account['tls']) . '</td>'
                . '<td class="login">' . self::q($account['login']) . '</td>'
                . '<td class="keep" data-keep="' . ($account['keep'] ? 'true' : 'false') . '">'
                    . self::q($labels[$account['keep'] ? 'kept' : 'deleted']) . '</td>'
                . '<td class="folder">' . self::q($account['folder']) . '</td>'
                . '<td class="state" data-paused="' . ($account['paused'] ? 'true' : 'false') . '">'
                    . self::q($labels[$account['paused'] ? 'paused' : 'active']) . '</td>'
                . '<td class="last-run" data-last-run="' . self::q($account['last_run'] === null ? 'never' : $account['last_run'])
                    . '">' . self::q($last_run) . '</td>'
                . '<td class="count" data-last-count="' . (int) $account['last_count'] . '" data-total="'
                    . (int) $account['total'] . '">' . (int) $account['last_count'] . ' / ' . (int) $account['total'] . '</td>'
                . '<td class="actions">' . $actions . '</td>'
                . '</tr>';
            if ($account['last_error'] !== null) {
                $rows .= '<tr class="last-error" data-account-id="' . self::q($id) . '">'
                    . '<td colspan="' . count($columns) . '"><div class="boxerror">'
                    . '<strong>' . self::q($labels['lasterror']) . '</strong> '
                    . '<span class="error-text">' . self::q($account['last_error']) . '</span></div></td></tr>';
            }
        }

        $html = '<table id="' . self::ID . '-accounts" class="table records-table mailroom-external-pop3-accounts">'
            . '<thead><tr>' . $head . '</tr></thead><tbody>' . $rows . '</tbody></table>';
        if (!$accounts) {
            $html .= '<p id="' . self::ID . '-empty" class="hint">' . self::q($labels['noaccounts']) . '</p>';
        }

        return $html;
    }

    private static function form(array $state, array $policy, array $labels, array $urls, $token)
    {
        $values = (isset($state['form']) ? $state['form'] : []) + [
            'id' => null, 'server' => '', 'tls' => 'pop3s', 'port' => null, 'login' => '',
            'keep' => $policy['keep_on_server_default'], 'folder' => 'INBOX', 'paused' => false,
        ];
        $editing = $values['id'] !== null;
        $port = $values['port'] === null || $values['port'] === '' ? mailroom_external_pop3_account::default_port($values['tls'])
            : $values['port'];
        $form_id = self::ID . '-form';
        // A form that comes back (refused, or tested without the script) has lost its password.
        $retype = !$editing && (isset($state['form_error']) || isset($state['test']));

        $tls_options = '';
        foreach (mailroom_external_pop3_account::TLS as $tls) {
            // Unencrypted only where the administrator allows it (or where it is what the
            // account has: the form shows it as it is, and the service refuses to keep it).
            if ($tls === 'none' && !$policy['allow_insecure'] && $values['tls'] !== 'none') {
                continue;
            }
            $tls_options .= self::option($tls, $labels['tls_' . $tls], $values['tls'] === $tls,
                ' data-port="' . mailroom_external_pop3_account::default_port($tls) . '"');
        }

        $folders = isset($state['folders']) ? $state['folders'] : [];
        $folder_options = '';
        if (!array_key_exists((string) $values['folder'], $folders)) {
            // A folder that is not (or no longer) in the user's list stays what it is.
            $folder_options .= self::option($values['folder'], $values['folder'], true);
        }
        foreach ($folders as $value => $label) {
            $folder_options .= self::option($value, $label, (string) $value === (string) $values['folder']);
        }

        $title = $editing ? self::fill($labels['editaccount'], ['$name' => $values['login'] . ' @ ' . $values['server']])
            : $labels['addaccount'];
        $row = function ($field, $label, $input) use ($form_id) {
            return '<tr class="' . $field . '"><td class="title"><label for="' . $form_id . '-' . $field . '">'
                . self::q($label) . '</label></td><td>' . $input . '</td></tr>';
        };
        $field_id = function ($field) use ($form_id) {
            return ' id="' . $form_id . '-' . $field . '"';
        };

        $form_error = '';
        if (isset($state['form_error'])) {
            $form_error = '<div id="' . $form_id . '-error" class="boxerror form-error" role="alert">'
                . '<strong>' . self::q($labels['formerror']) . '</strong> '
                . '<span class="server-text">' . self::q($state['form_error']) . '</span></div>';
        }
        $test = isset($state['test']) ? $state['test'] : null;
        $test_box = '<div id="' . self::ID . '-test-result" role="status" aria-live="polite" class="test-result'
            . ($test === null ? '' : ($test['ok'] ? ' ok boxconfirmation' : ' failed boxerror')) . '">';
        if ($test !== null) {
            $test_box .= '<strong>' . self::q($labels[$test['ok'] ? 'testok' : 'testfailed']) . '</strong> '
                . '<span class="server-text">' . self::q($test['text']) . '</span>';
        }
        $test_box .= '</div>';

        return '<form id="' . $form_id . '" class="account-form' . ($editing ? ' editing' : '') . '" method="post"'
            . ' action="' . self::q($urls['save']) . '" autocomplete="off">'
            . '<fieldset><legend>' . self::q($title) . '</legend>'
            . $form_error
            . self::hidden('_token', $token)
            . ($editing ? self::hidden('_id', $values['id']) : '')
            . '<table class="propform"><tbody>'
            . $row('server', $labels['server'], '<input type="text" name="_server"' . $field_id('server')
                . ' class="form-control" required maxlength="253" spellcheck="false" autocapitalize="off"'
                . ' value="' . self::q($values['server']) . '">')
            . $row('tls', $labels['tls'], '<select name="_tls"' . $field_id('tls') . ' class="custom-select">'
                . $tls_options . '</select>')
            . $row('port', $labels['port'], '<input type="number" name="_port"' . $field_id('port')
                . ' class="form-control" min="1" max="65535" value="' . self::q($port) . '">')
            . $row('login', $labels['login'], '<input type="text" name="_login"' . $field_id('login')
                . ' class="form-control" required maxlength="255" spellcheck="false" autocapitalize="off"'
                . ' autocomplete="off" value="' . self::q($values['login']) . '">')
            // Never filled in: the stored password stays on the server.
            . $row('password', $labels['password'], '<input type="password" name="_password"' . $field_id('password')
                . ' class="form-control" autocomplete="new-password"'
                . ($editing ? ' placeholder="' . self::q($labels['passwordkeep']) . '"'
                    : ($retype ? ' placeholder="' . self::q($labels['passwordagain']) . '"' : '') . ' required')
                . ' value="">')
            . $row('keep', $labels['keep'], '<input type="checkbox" name="_keep" value="1"' . $field_id('keep')
                . ($values['keep'] ? ' checked' : '') . '>')
            . $row('folder', $labels['folder'], '<select name="_folder"' . $field_id('folder') . ' class="custom-select">'
                . $folder_options . '</select>')
            . $row('paused', $labels['pausedfield'], '<input type="checkbox" name="_paused" value="1"' . $field_id('paused')
                . ($values['paused'] ? ' checked' : '') . '>')
            . '</tbody></table>'
            . '<div class="formbuttons">'
            . '<button type="submit" class="btn btn-primary save">' . self::q($labels['save']) . '</button> '
            . '<button type="submit" class="btn btn-secondary test" formaction="' . self::q($urls['test']) . '">'
                . self::q($labels['test']) . '</button>'
            . ($editing ? ' <a class="btn btn-secondary cancel" href="' . self::q($urls['show']) . '">'
                . self::q($labels['cancel']) . '</a>' : '')
            . '</div>'
            . $test_box
            . '</fieldset></form>';
    }

    private static function option($value, $label, $selected, $extra = '')
    {
        return '<option value="' . self::q($value) . '"' . ($selected ? ' selected' : '') . $extra . '>'
            . self::q($label) . '</option>';
    }

    private static function hidden($name, $value)
    {
        return '<input type="hidden" name="' . self::q($name) . '" value="' . self::q($value) . '">';
    }

    /**
     * A label with its $n, $name... filled in (before escaping: the values are texts too).
     */
    private static function fill($label, array $vars)
    {
        return strtr($label, array_map('strval', $vars));
    }

    /**
     * Text for HTML, in an element or a quoted attribute. Invalid UTF-8 (an external server's
     * answer may be anything) is replaced rather than dropping the whole text.
     */
    public static function q($text)
    {
        return htmlspecialchars((string) $text, ENT_QUOTES | ENT_HTML5 | ENT_SUBSTITUTE, 'UTF-8');
    }
}
