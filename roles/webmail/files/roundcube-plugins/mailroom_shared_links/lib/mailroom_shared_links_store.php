<?php

/**
 * The shared links of one webmail user, as the shared links milter stores them
 * (mailroom.server shared_links role). Plain PHP, no Roundcube: tested on its own.
 *
 *   <registry>/<name>        a link made by root to <the user's mail home>/MailAttachments
 *   .../<id>/<file name>     the file nginx serves (<id>: 32 lowercase hex digits)
 *   .../<id>/.link.json      {"id", "file_name", "size", "created", "expires" (null: never), "url"}
 *   .../<id>/.incoming       a file still being written: such a folder is never shown or touched
 *
 * The user owns the folders and files (group www-data: this PHP may read and delete them), so
 * the user can replace any of them by a link to somebody else's folder, at any moment. Hence
 * the registry link is the only link ever followed: every folder is entered by chdir() and
 * proven to be the very directory lstat() saw (same device and inode: no link was followed
 * and nothing was swapped in between), and files are then named relative to it. Nothing
 * from the request but an id matching ID is ever part of a path.
 *
 * @license GNU GPLv3+
 */
class mailroom_shared_links_store
{
    const REGISTRY = '/var/lib/mailroom/shared-links';
    // What the milter makes of a login; anything else has no links.
    const NAME = '/^[a-z0-9_-][a-z0-9._-]{0,127}$/D';
    const ID = '/^[0-9a-f]{32}$/D';
    const RECORD = '.link.json';
    const INCOMING = '.incoming';
    const RECORD_MAX_BYTES = 65536;

    // Outcomes of delete()
    const DELETED = 'deleted';
    const NOT_FOUND = 'notfound';
    const BUSY = 'busy';
    const FAILED = 'failed';

    private $registry;

    public function __construct($registry = self::REGISTRY)
    {
        $this->registry = rtrim($registry, '/');
    }

    /**
     * The registry name of a Roundcube user name (alice, Alice@example.com -> alice), or null
     * when the login cannot have one.
     */
    public static function registry_name($username)
    {
        $name = strtolower(explode('@', (string) $username, 2)[0]);

        return preg_match(self::NAME, $name) ? $name : null;
    }

    /**
     * Whether the registry has an entry for the user (a user without one has never had a link).
     */
    public function registered($name)
    {
        if ($name === null || !preg_match(self::NAME, $name)) {
            return false;
        }
        clearstatcache();
        $status = @lstat($this->registry . '/' . $name);

        return $status !== false && self::is_link($status);
    }

    /**
     * The user's links, newest first: records as in .link.json, checked. A folder that is not
     * what the milter makes is left out.
     *
     * @throws RuntimeException when the user's folder cannot be read
     */
    public function links($name)
    {
        return $this->in_storage($name, [], function ($storage) {
            $links = [];
            $entries = @scandir('.');
            if ($entries === false) {
                throw new RuntimeException('cannot list the shared links folder');
            }
            foreach ($entries as $id) {
                if (!preg_match(self::ID, $id)) {
                    continue;
                }
                // A folder with .incoming and no record yet is still being written: no record, not shown.
                $record = $this->in_link_folder($storage, $id, function () use ($id) {
                    return $this->read_record($id);
                });
                if ($record !== null) {
                    $links[] = $record;
                }
            }
            usort($links, function ($a, $b) {
                return [$b['created'], $a['id']] <=> [$a['created'], $b['id']];
            });

            return $links;
        });
    }

    /**
     * Deletes one link: its file, its record, then its folder. Returns DELETED, NOT_FOUND (no
     * such link, or not one the user may delete), BUSY (its file is still being written) or
     * FAILED.
     */
    public function delete($name, $id)
    {
        if (!is_string($id) || !preg_match(self::ID, $id)) {
            return self::NOT_FOUND;
        }

        try {
            return $this->in_storage($name, self::NOT_FOUND, function ($storage) use ($id) {
                $outcome = $this->in_link_folder($storage, $id, function () use ($id) {
                    if (self::is_present(self::INCOMING)) {
                        return self::BUSY;
                    }
                    $record = $this->read_record($id);
                    if ($record === null) {
                        return self::NOT_FOUND;
                    }
                    // The file first: from then on the download answers 404.
                    if (self::is_present($record['file_name']) && !@unlink($record['file_name'])) {
                        return self::FAILED;
                    }
                    if (!@unlink(self::RECORD)) {
                        return self::FAILED;
                    }

                    return self::DELETED;
                });
                if ($outcome === null) {
                    return self::NOT_FOUND;
                }
                if ($outcome === self::DELETED) {
                    // Back in the storage folder (entered afresh, checked); a folder that is not
                    // empty stays for the expiry job, unlisted (it has no record any more).
                    $this->enter($storage['path'], $storage['status']);
                    @rmdir($id);
                }

                return $outcome;
            });
        }
        catch (RuntimeException $e) {
            return self::FAILED;
        }
    }

    /**
     * Runs $work in the user's storage folder (the current directory), given
     * ['path' => ..., 'status' => lstat of it]; returns $none when the user has no links.
     * The previous working directory is restored whatever happens.
     */
    private function in_storage($name, $none, callable $work)
    {
        if (!$this->registered($name)) {
            return $none;
        }
        $path = @readlink($this->registry . '/' . $name);
        if ($path === false || $path === '' || $path[0] !== '/') {
            throw new RuntimeException('the registry entry is not an absolute link');
        }
        clearstatcache();
        $status = @lstat($path);
        if ($status === false) {
            return $none;   // registered, and the folder removed since: no links
        }
        if (!self::is_directory($status)) {
            throw new RuntimeException('the shared links folder is not a directory');
        }

        $previous = getcwd();
        try {
            $storage = ['path' => $path, 'status' => $status];
            $this->enter($path, $status);

            return $work($storage);
        }
        finally {
            if ($previous !== false) {
                @chdir($previous);
            }
        }
    }

    /**
     * Runs $work in <storage>/<id> (the current directory) when it is a directory of the
     * folder's owner, not a link; returns null otherwise.
     */
    private function in_link_folder(array $storage, $id, callable $work)
    {
        clearstatcache();
        $status = @lstat($id);
        if ($status === false || !self::is_directory($status) || $status['uid'] !== $storage['status']['uid']) {
            return null;
        }
        try {
            $this->enter($id, $status);

            return $work();
        }
        catch (RuntimeException $e) {
            return null;
        }
        finally {
            $this->enter($storage['path'], $storage['status']);
        }
    }

    /**
     * chdir() into $path and prove it is the directory lstat() described.
     */
    private function enter($path, array $expected)
    {
        if (!@chdir($path)) {
            throw new RuntimeException('cannot enter a shared links folder');
        }
        clearstatcache();
        $here = @stat('.');
        if ($here === false || $here['dev'] !== $expected['dev'] || $here['ino'] !== $expected['ino']) {
            throw new RuntimeException('a shared links folder changed while it was read');
        }
    }

    /**
     * The checked record of the link folder that is the current directory, or null.
     */
    private function read_record($id)
    {
        clearstatcache();
        $status = @lstat(self::RECORD);
        if ($status === false || !self::is_file($status) || $status['size'] > self::RECORD_MAX_BYTES) {
            return null;
        }
        $stream = @fopen(self::RECORD, 'rb');
        if ($stream === false) {
            return null;
        }
        try {
            $opened = fstat($stream);
            if ($opened === false || $opened['ino'] !== $status['ino'] || $opened['dev'] !== $status['dev']) {
                return null;
            }
            $text = stream_get_contents($stream, self::RECORD_MAX_BYTES);
        }
        finally {
            fclose($stream);
        }

        return self::checked_record($text === false ? '' : $text, $id);
    }

    /**
     * A record as the page shows it, from the text of .link.json, or null when it is not one
     * the milter writes: the user can write anything there.
     */
    public static function checked_record($text, $id)
    {
        $record = json_decode($text, true);
        if (!is_array($record) || ($record['id'] ?? null) !== $id) {
            return null;
        }
        $file_name = $record['file_name'] ?? null;
        $size = $record['size'] ?? null;
        $created = $record['created'] ?? null;
        $expires = array_key_exists('expires', $record) ? $record['expires'] : false;
        $url = $record['url'] ?? null;
        if (!self::is_file_name($file_name) || !is_int($size) || $size < 0 || !is_int($created)
            || !($expires === null || is_int($expires)) || !is_string($url)
            // a link a person can follow, never javascript: or data:
            || !preg_match('#^https?://[^\s"<>\\\\]+$#iD', $url)
        ) {
            return null;
        }

        return ['id' => $id, 'file_name' => $file_name, 'size' => $size, 'created' => $created,
                'expires' => $expires, 'url' => $url];
    }

    /**
     * One name inside a link folder, never a path or one of the milter's own names.
     */
    public static function is_file_name($name)
    {
        return is_string($name) && $name !== '' && strlen($name) <= 1024 && $name !== '.' && $name !== '..'
            && $name !== self::RECORD && $name !== self::INCOMING
            && strpos($name, '/') === false && strpos($name, "\0") === false
            && preg_match('//u', $name);
    }

    private static function is_present($name)
    {
        clearstatcache();

        return @lstat($name) !== false;
    }

    private static function is_link(array $status)
    {
        return ($status['mode'] & 0170000) === 0120000;
    }

    private static function is_directory(array $status)
    {
        return ($status['mode'] & 0170000) === 0040000;
    }

    private static function is_file(array $status)
    {
        return ($status['mode'] & 0170000) === 0100000;
    }
}
