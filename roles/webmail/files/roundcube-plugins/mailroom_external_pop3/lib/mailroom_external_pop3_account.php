<?php

/**
 * External POP3 accounts as the page handles them. Plain PHP, no Roundcube (tested on its own).
 *
 * - policy() and account(): the service's policy and account records made into values of known
 *   types. Nothing is trusted to be what it should: texts stay texts (the view escapes them),
 *   numbers become numbers, and an id that is not 32 hex digits becomes null (such an account is
 *   shown, but offers no action).
 * - from_input(): the account form's fields (as posted) made into the "account" of a save or test
 *   request. Checking them is the service's job (it refuses with a message the page shows); this
 *   only gives them the types the service expects.
 *
 * @license GNU GPLv3+
 */
class mailroom_external_pop3_account
{
    const ID = '/^[0-9a-f]{32}$/D';
    const TLS = ['pop3s', 'starttls', 'none'];
    const PORT_POP3S = 995;
    const PORT_POP3 = 110;

    /**
     * The policy of a list answer; what is missing or odd is the safe choice (not allowed).
     */
    public static function policy($policy)
    {
        $policy = is_array($policy) ? $policy : [];
        $int = function ($name, $default) use ($policy) {
            return isset($policy[$name]) && is_int($policy[$name]) ? $policy[$name] : $default;
        };

        return [
            'allowed' => ($policy['allowed'] ?? false) === true,
            'interval_minutes' => $int('interval_minutes', 10),
            'max_accounts_per_user' => $int('max_accounts_per_user', 0),
            'allow_insecure' => ($policy['allow_insecure'] ?? false) === true,
            'keep_on_server_default' => ($policy['keep_on_server_default'] ?? true) !== false,
        ];
    }

    /**
     * The accounts of a list answer, as account() makes them.
     */
    public static function accounts($accounts)
    {
        $out = [];
        foreach (is_array($accounts) ? $accounts : [] as $account) {
            if (is_array($account)) {
                $out[] = self::account($account);
            }
        }

        return $out;
    }

    /**
     * One account record of the service (PUBLIC in the contract).
     */
    public static function account(array $account)
    {
        $status = isset($account['status']) && is_array($account['status']) ? $account['status'] : [];
        $text = function ($value) {
            return is_string($value) || is_int($value) || is_float($value) ? (string) $value : '';
        };
        $id = $account['id'] ?? null;

        return [
            'id' => is_string($id) && preg_match(self::ID, $id) ? $id : null,
            'server' => $text($account['server'] ?? ''),
            'port' => isset($account['port']) && is_int($account['port']) ? $account['port'] : null,
            'tls' => $text($account['tls'] ?? ''),
            'login' => $text($account['login'] ?? ''),
            'keep' => ($account['keep'] ?? true) !== false,
            'folder' => $text($account['folder'] ?? 'INBOX'),
            'paused' => ($account['paused'] ?? false) === true,
            'last_run' => isset($status['last_run']) && is_string($status['last_run']) ? $status['last_run'] : null,
            'last_count' => isset($status['last_count']) && is_int($status['last_count']) ? $status['last_count'] : 0,
            'total' => isset($status['total']) && is_int($status['total']) ? $status['total'] : 0,
            'last_error' => isset($status['last_error']) && is_string($status['last_error'])
                && trim($status['last_error']) !== '' ? $status['last_error'] : null,
        ];
    }

    /**
     * The account with that id among accounts(), or null.
     */
    public static function find(array $accounts, $id)
    {
        if (!is_string($id) || !preg_match(self::ID, $id)) {
            return null;
        }
        foreach ($accounts as $account) {
            if ($account['id'] === $id) {
                return $account;
            }
        }

        return null;
    }

    /**
     * The port a connection of that kind usually has.
     */
    public static function default_port($tls)
    {
        return $tls === 'pop3s' ? self::PORT_POP3S : self::PORT_POP3;
    }

    /**
     * The account of a save or test request from the form's fields: _id, _server, _port, _tls,
     * _login, _password, _keep, _folder, _paused (checkboxes: present or not). An empty port is
     * the usual one of the TLS choice; an id that is not one is left out (a new account).
     */
    public static function from_input(array $input)
    {
        $text = function ($name) use ($input) {
            return isset($input[$name]) && is_string($input[$name]) ? $input[$name] : '';
        };
        $tls = $text('_tls');
        $port = trim($text('_port'));
        $folder = $text('_folder');

        $account = [
            'server' => trim($text('_server')),
            // A port that is no number is sent as given: the service refuses it in its own words.
            'port' => $port === '' ? self::default_port($tls) : (preg_match('/^[0-9]{1,5}$/D', $port) ? (int) $port : $port),
            'tls' => $tls,
            'login' => $text('_login'),
            'password' => $text('_password'),
            'keep' => self::checked($input, '_keep'),
            'folder' => $folder === '' ? 'INBOX' : $folder,
            'paused' => self::checked($input, '_paused'),
        ];
        $id = $text('_id');
        if (preg_match(self::ID, $id)) {
            $account = ['id' => $id] + $account;
        }

        return $account;
    }

    /**
     * The account of a save request that changes nothing but what $changes says (pause, resume):
     * the stored password stays.
     */
    public static function to_save(array $account, array $changes = [])
    {
        return array_merge([
            'id' => $account['id'],
            'server' => $account['server'],
            'port' => $account['port'],
            'tls' => $account['tls'],
            'login' => $account['login'],
            'password' => '',
            'keep' => $account['keep'],
            'folder' => $account['folder'],
            'paused' => $account['paused'],
        ], $changes);
    }

    private static function checked(array $input, $name)
    {
        return isset($input[$name]) && $input[$name] !== '' && $input[$name] !== '0';
    }
}
