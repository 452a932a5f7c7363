<?php

/**
 * Shared links (mailroom.server): Settings > Shared links lists the links the shared links
 * milter made of the user's large attachments - file, size, date, expiry, the link - and
 * deletes them. Installed and enabled by the mailroom.server webmail role.
 *
 * The files are in the user's mail home and nginx serves them; this page only reads the
 * links' records and deletes links (lib/mailroom_shared_links_store.php says how, safely).
 * It never serves a file. Links are shown whenever the user has any, whether the feature is
 * enabled or not: existing links keep working until they expire.
 *
 * @license GNU GPLv3+
 */
require_once __DIR__ . '/lib/mailroom_shared_links_store.php';
require_once __DIR__ . '/lib/mailroom_shared_links_view.php';

class mailroom_shared_links extends rcube_plugin
{
    const ACTION = 'plugin.mailroom_shared_links';
    const DELETE_ACTION = 'plugin.mailroom_shared_links-delete';

    public $task = 'settings';

    private $rc;

    function init()
    {
        $this->rc = rcmail::get_instance();
        $this->add_hook('settings_actions', [$this, 'settings_actions']);
        $this->register_action(self::ACTION, [$this, 'show']);
        $this->register_action(self::DELETE_ACTION, [$this, 'delete']);
    }

    /**
     * The settings_actions hook: "Shared links" in the Settings menu.
     */
    function settings_actions($args)
    {
        $this->add_texts('localization/');
        $args['actions'][] = [
            'action' => self::ACTION,
            'class'  => 'mailroom-shared-links',
            'label'  => 'sharedlinks',
            'title'  => 'sharedlinkstitle',
            'domain' => 'mailroom_shared_links',
        ];

        return $args;
    }

    /**
     * The links page.
     */
    function show()
    {
        $this->add_texts('localization/', ['confirmdelete', 'copied']);
        $this->register_handler('plugin.mailroom_shared_links_table', [$this, 'table']);
        $this->include_script('mailroom_shared_links.js');
        $this->include_stylesheet($this->local_skin_path() . '/mailroom_shared_links.css');
        $this->rc->output->set_pagetitle($this->gettext('sharedlinks'));
        $this->rc->output->send('mailroom_shared_links.links');
    }

    /**
     * A delete form's POST: the link is deleted, Roundcube says so, and the page shows the
     * list as it is now. Roundcube checks the request token of every POST before any action
     * runs; it is checked here again so that this action never depends on that.
     */
    function delete()
    {
        $this->add_texts('localization/');
        // The page answered is the links page: its entry in the Settings menu is the selected one.
        $this->rc->action = self::ACTION;
        if ($_SERVER['REQUEST_METHOD'] !== 'POST' || !$this->rc->check_request(rcube_utils::INPUT_POST)) {
            $this->rc->output->show_message('invalidrequest', 'error');
            $this->show();
            return;
        }

        $id = rcube_utils::get_input_string('_id', rcube_utils::INPUT_POST);
        $outcome = $this->store()->delete($this->registry_name(), $id);
        switch ($outcome) {
            case mailroom_shared_links_store::DELETED:
                $this->rc->output->show_message('mailroom_shared_links.deleted', 'confirmation');
                break;
            case mailroom_shared_links_store::BUSY:
                $this->rc->output->show_message('mailroom_shared_links.busy', 'warning');
                break;
            case mailroom_shared_links_store::NOT_FOUND:
                $this->rc->output->show_message('mailroom_shared_links.notfound', 'warning');
                break;
            default:
                rcube::raise_error(['code' => 500, 'file' => __FILE__, 'line' => __LINE__,
                    'message' => 'mailroom_shared_links: could not delete a link of ' . $this->rc->get_user_name()],
                    true, false);
                $this->rc->output->show_message('mailroom_shared_links.deleteerror', 'error');
        }
        $this->show();
    }

    /**
     * The template object plugin.mailroom_shared_links_table.
     */
    function table($attrib)
    {
        $store = $this->store();
        $name = $this->registry_name();
        try {
            $links = $store->links($name);
        }
        catch (RuntimeException $e) {
            rcube::raise_error(['code' => 500, 'file' => __FILE__, 'line' => __LINE__,
                'message' => 'mailroom_shared_links: ' . $this->rc->get_user_name() . ': ' . $e->getMessage()],
                true, false);
            $this->rc->output->show_message('mailroom_shared_links.listerror', 'error');
            $links = [];
        }

        $labels = [];
        foreach (['filename', 'size', 'created', 'expires', 'link', 'actions', 'never', 'copy', 'delete', 'nolinks'] as $label) {
            $labels[$label] = $this->gettext($label);
        }
        $date_format = $this->rc->config->get('date_long', 'Y-m-d H:i');
        $rc = $this->rc;

        return mailroom_shared_links_view::table(
            $links,
            $labels,
            function ($bytes) use ($rc) {
                return $rc->show_bytes($bytes);
            },
            function ($seconds) use ($rc, $date_format) {
                return $rc->format_date(new DateTime('@' . $seconds), $date_format);
            },
            $this->rc->url(['_action' => self::DELETE_ACTION]),
            $this->rc->get_request_token()
        );
    }

    private function store()
    {
        // The registry is fixed (the milter's); the setting exists for tests only.
        return new mailroom_shared_links_store(
            $this->rc->config->get('mailroom_shared_links_registry', mailroom_shared_links_store::REGISTRY));
    }

    private function registry_name()
    {
        return mailroom_shared_links_store::registry_name($this->rc->user->get_username());
    }
}
