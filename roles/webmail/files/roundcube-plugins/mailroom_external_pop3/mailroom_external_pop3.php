<?php

/**
 * External accounts (mailroom.server): Settings > External accounts, where users list, add,
 * change, test, pause and remove the POP3 accounts at other providers whose mail the mail host
 * fetches into their mailbox, and start a fetch now. Installed and enabled by the mailroom.server
 * webmail role.
 *
 * The accounts, their passwords and the fetching are the external_pop3 role's service's: this
 * page only asks it, through its Unix socket, with the logged-in user's own login and password
 * (lib/mailroom_external_pop3_client.php). It never stores anything itself, never logs the
 * credentials, and never puts a password into a page: a password field is always empty.
 *
 * Every change is a POST with Roundcube's request token; the answer is the page as it is now,
 * with the service's message. "Test connection" also works as a request in the background
 * (mailroom_external_pop3.js), so that a typed password stays in its field.
 *
 * @license GNU GPLv3+
 */
require_once __DIR__ . '/lib/mailroom_external_pop3_client.php';
require_once __DIR__ . '/lib/mailroom_external_pop3_account.php';
require_once __DIR__ . '/lib/mailroom_external_pop3_view.php';

class mailroom_external_pop3 extends rcube_plugin
{
    const ACTION = 'plugin.mailroom_external_pop3';
    const SAVE_ACTION = 'plugin.mailroom_external_pop3-save';
    const TEST_ACTION = 'plugin.mailroom_external_pop3-test';
    const REMOVE_ACTION = 'plugin.mailroom_external_pop3-remove';
    const PAUSE_ACTION = 'plugin.mailroom_external_pop3-pause';
    const FETCH_ACTION = 'plugin.mailroom_external_pop3-fetch';
    // The browser's handler of a background test's answer.
    const TESTED_CALLBACK = 'plugin.mailroom_external_pop3_tested';

    public $task = 'settings';

    private $rc;
    // What the page shows besides the list: form, form_error, test (mailroom_external_pop3_view).
    private $state = [];

    function init()
    {
        $this->rc = rcmail::get_instance();
        $this->add_hook('settings_actions', [$this, 'settings_actions']);
        $this->register_action(self::ACTION, [$this, 'show']);
        $this->register_action(self::SAVE_ACTION, [$this, 'save']);
        $this->register_action(self::TEST_ACTION, [$this, 'test']);
        $this->register_action(self::REMOVE_ACTION, [$this, 'remove']);
        $this->register_action(self::PAUSE_ACTION, [$this, 'pause']);
        $this->register_action(self::FETCH_ACTION, [$this, 'fetch']);
    }

    /**
     * The settings_actions hook: "External accounts" in the Settings menu, where the service's
     * socket exists (systemd keeps it while the external_pop3 role's socket unit is active; a
     * host without that role has no such page). The page itself says when the service is down.
     */
    function settings_actions($args)
    {
        if (!file_exists($this->socket())) {
            return $args;
        }
        $this->add_texts('localization/');
        $args['actions'][] = [
            'action' => self::ACTION,
            'class'  => 'mailroom-external-pop3',
            'label'  => 'externalaccounts',
            'title'  => 'externalaccountstitle',
            'domain' => 'mailroom_external_pop3',
        ];

        return $args;
    }

    /**
     * The page: the service's list, and the form (empty, the account of ?_edit=<id>, or what a
     * refused save or a test posted).
     */
    function show()
    {
        $this->add_texts('localization/', ['confirmremove', 'testing', 'testok', 'testfailed']);
        // An answer to a POST is the page: its entry in the Settings menu is the selected one.
        $this->rc->action = self::ACTION;

        $state = $this->state;
        $answer = $this->ask(function ($client, $user, $password) {
            return $client->list_accounts($user, $password);
        });
        if (!$answer['ok']) {
            $state['error'] = $answer['error'];
        }
        else {
            $state['policy'] = mailroom_external_pop3_account::policy($answer['policy'] ?? null);
            $state['accounts'] = mailroom_external_pop3_account::accounts($answer['accounts'] ?? null);
            $edit = rcube_utils::get_input_string('_edit', rcube_utils::INPUT_GET);
            if (!isset($state['form']) && $edit !== '') {
                $account = mailroom_external_pop3_account::find($state['accounts'], $edit);
                if ($account === null) {
                    $this->rc->output->show_message('mailroom_external_pop3.notfound', 'warning');
                }
                else {
                    $state['form'] = $account;
                }
            }
            $state['folders'] = $state['policy']['allowed'] ? $this->folders() : [];
        }
        $this->state = $state;

        $this->register_handler('plugin.mailroom_external_pop3_page', [$this, 'page']);
        $this->include_script('mailroom_external_pop3.js');
        $this->include_stylesheet($this->local_skin_path() . '/mailroom_external_pop3.css');
        $this->rc->output->set_pagetitle($this->gettext('externalaccounts'));
        $this->rc->output->send('mailroom_external_pop3.accounts');
    }

    /**
     * The template object plugin.mailroom_external_pop3_page.
     */
    function page($attrib)
    {
        $labels = [];
        foreach (mailroom_external_pop3_view::LABELS as $label) {
            $labels[$label] = $this->gettext($label);
        }
        $rc = $this->rc;
        $date_format = $this->rc->config->get('date_long', 'Y-m-d H:i');

        return mailroom_external_pop3_view::page(
            $this->state,
            $labels,
            function ($iso) use ($rc, $date_format) {
                try {
                    return $rc->format_date(new DateTime($iso), $date_format);
                }
                catch (Exception $e) {
                    // Not a date: shown as it came (escaped by the view).
                    return $iso;
                }
            },
            [
                'show' => $this->rc->url(['_action' => self::ACTION]),
                'save' => $this->rc->url(['_action' => self::SAVE_ACTION]),
                'test' => $this->rc->url(['_action' => self::TEST_ACTION]),
                'remove' => $this->rc->url(['_action' => self::REMOVE_ACTION]),
                'pause' => $this->rc->url(['_action' => self::PAUSE_ACTION]),
                'fetch' => $this->rc->url(['_action' => self::FETCH_ACTION]),
            ],
            $this->rc->get_request_token()
        );
    }

    /**
     * The form's POST: the account is stored, or the form comes back as posted (but for the
     * password) with the service's reason.
     */
    function save()
    {
        if (!$this->valid_post()) {
            return;
        }
        $account = mailroom_external_pop3_account::from_input($this->form_input());
        $answer = $this->ask(function ($client, $user, $password) use ($account) {
            return $client->save($user, $password, $account);
        });
        if ($answer['ok']) {
            $this->rc->output->show_message('mailroom_external_pop3.saved', 'confirmation');
        }
        else {
            $this->state['form'] = $account;
            $this->state['form_error'] = $answer['error'];
            $this->rc->output->show_message('mailroom_external_pop3.saveerror', 'error');
        }
        $this->show();
    }

    /**
     * "Test connection": the external server's answer. In the background (the script) the
     * answer goes to the page as it is; as a form's POST the page comes back with the form as
     * posted (but for the password) and the answer below it.
     */
    function test()
    {
        $ajax = $this->rc->output->type === 'js';
        if (!$this->valid_post($ajax)) {
            return;
        }
        $account = mailroom_external_pop3_account::from_input($this->form_input());
        $answer = $this->ask(function ($client, $user, $password) use ($account) {
            return $client->test($user, $password, $account);
        });
        $result = $answer['ok']
            ? ['ok' => true, 'text' => isset($answer['message']) && is_string($answer['message']) ? $answer['message'] : '']
            : ['ok' => false, 'text' => $answer['error']];

        if ($ajax) {
            $this->add_texts('localization/');
            $this->rc->output->command(self::TESTED_CALLBACK, $result);
            $this->rc->output->send();
            return;
        }
        $this->state['form'] = $account;
        $this->state['test'] = $result;
        $this->show();
    }

    function remove()
    {
        if (!$this->valid_post()) {
            return;
        }
        $id = rcube_utils::get_input_string('_id', rcube_utils::INPUT_POST);
        $answer = $this->ask(function ($client, $user, $password) use ($id) {
            return $client->remove($user, $password, $id);
        });
        $this->report($answer, 'removed');
        $this->show();
    }

    /**
     * Pause (_paused=1) or resume (_paused=0): the account is saved as the service has it now,
     * with only that changed.
     */
    function pause()
    {
        if (!$this->valid_post()) {
            return;
        }
        $id = rcube_utils::get_input_string('_id', rcube_utils::INPUT_POST);
        $paused = rcube_utils::get_input_string('_paused', rcube_utils::INPUT_POST) === '1';
        $answer = $this->ask(function ($client, $user, $password) use ($id, $paused) {
            $list = $client->list_accounts($user, $password);
            if (!$list['ok']) {
                return $list;
            }
            $account = mailroom_external_pop3_account::find(
                mailroom_external_pop3_account::accounts($list['accounts'] ?? null), $id);
            if ($account === null) {
                return ['ok' => false, 'error' => $this->gettext('notfound')];
            }

            return $client->save($user, $password, mailroom_external_pop3_account::to_save($account, ['paused' => $paused]));
        });
        $this->report($answer, $paused ? 'pausedmessage' : 'resumed');
        $this->show();
    }

    function fetch()
    {
        if (!$this->valid_post()) {
            return;
        }
        $answer = $this->ask(function ($client, $user, $password) {
            return $client->fetch($user, $password);
        });
        $this->report($answer, 'fetchstarted');
        $this->show();
    }

    /**
     * Whether the request is a POST with the request token. Roundcube checks the token of every
     * POST before any action runs; it is checked here again so that no action depends on that.
     * Otherwise Roundcube's "invalid request" and the page (or, in the background, nothing).
     */
    private function valid_post($ajax = false)
    {
        if ($_SERVER['REQUEST_METHOD'] === 'POST' && $this->rc->check_request(rcube_utils::INPUT_POST)) {
            return true;
        }
        $this->rc->output->show_message('invalidrequest', 'error');
        if ($ajax) {
            $this->rc->output->send();
        }
        else {
            $this->show();
        }

        return false;
    }

    /**
     * The form's fields as posted. Tags are kept (a password may hold "<"); every text is
     * escaped where it is shown.
     */
    private function form_input()
    {
        $input = [];
        foreach (['_id', '_server', '_port', '_tls', '_login', '_password', '_keep', '_folder', '_paused'] as $name) {
            if (isset($_POST[$name])) {
                $input[$name] = rcube_utils::get_input_string($name, rcube_utils::INPUT_POST, true);
            }
        }

        return $input;
    }

    /**
     * Runs $request($client, $user, $password): the service's answer, or {"ok": false, "error"}
     * and "reason" saying in the user's language why there is none (logged without the
     * credentials).
     */
    private function ask(callable $request)
    {
        $this->add_texts('localization/');
        $client = new mailroom_external_pop3_client($this->socket());
        try {
            return $request($client, $this->rc->get_user_name(), $this->rc->get_user_password());
        }
        catch (mailroom_external_pop3_unavailable $e) {
            rcube::raise_error(['code' => 500, 'file' => __FILE__, 'line' => __LINE__,
                'message' => 'mailroom_external_pop3: ' . $e->getMessage()], true, false);

            return ['ok' => false, 'error' => $this->gettext($e->reason), 'reason' => $e->reason];
        }
    }

    private function socket()
    {
        // The socket is the external_pop3 role's; the setting exists for tests only.
        return (string) $this->rc->config->get('mailroom_external_pop3_socket', mailroom_external_pop3_client::SOCKET);
    }

    /**
     * Roundcube's message for an answer: $done, or the service's error.
     */
    private function report(array $answer, $done)
    {
        if ($answer['ok']) {
            $this->rc->output->show_message('mailroom_external_pop3.' . $done, 'confirmation');
        }
        else if (isset($answer['reason'])) {
            // No answer: the label says why.
            $this->rc->output->show_message('mailroom_external_pop3.' . $answer['reason'], 'error');
        }
        else {
            // The label's $error is escaped by show_message().
            $this->rc->output->show_message('mailroom_external_pop3.serviceanswer', 'error', ['error' => $answer['error']]);
        }
    }

    /**
     * The user's subscribed mail folders for the folder select: UTF-8 name (as the service and
     * IMAP clients name them) => name as Roundcube shows it. INBOX is always there.
     */
    private function folders()
    {
        $folders = ['INBOX' => $this->rc->localize_foldername('INBOX')];
        try {
            $storage = $this->rc->get_storage();
            $names = $storage->list_folders_subscribed('', '*', 'mail');
        }
        catch (Exception $e) {
            $names = [];
        }
        foreach (is_array($names) ? $names : [] as $name) {
            if ($name === 'INBOX') {
                continue;
            }
            $folders[rcube_charset::convert($name, 'UTF7-IMAP')] = $this->rc->localize_folderpath($name);
        }

        return $folders;
    }
}
