<?php

/**
 * The links page's table, as HTML. Plain PHP, no Roundcube (tested on its own): the plugin
 * passes Roundcube's labels, formatters, request token and URL in.
 *
 * Stable for the browser test (docs/webmail.md): table#mailroom-shared-links, one
 * tr[data-link-id="<id>"] per link with td.file-name, td.size, td.created, td.expires
 * (data-expires: seconds since the epoch, or "never"), a.link (the download, new tab),
 * button.copy and a form.delete-form whose button.delete posts the id with the request token;
 * p#mailroom-shared-links-empty when there is none.
 *
 * @license GNU GPLv3+
 */
class mailroom_shared_links_view
{
    const TABLE_ID = 'mailroom-shared-links';
    const EMPTY_ID = 'mailroom-shared-links-empty';

    /**
     * @param array    $links       records of mailroom_shared_links_store::links()
     * @param array    $labels      name => text: filename, size, created, expires, link,
     *                              actions, never, copy, delete, nolinks
     * @param callable $format_size bytes => text
     * @param callable $format_date seconds since the epoch => text
     * @param string   $delete_url  where the delete forms post to
     * @param string   $token       Roundcube's request token
     */
    public static function table(array $links, array $labels, callable $format_size, callable $format_date,
        $delete_url, $token)
    {
        $head = '';
        foreach (['file-name' => 'filename', 'size' => 'size', 'created' => 'created',
                  'expires' => 'expires', 'url' => 'link', 'actions' => 'actions'] as $class => $label) {
            $head .= '<th scope="col" class="' . $class . '">' . self::q($labels[$label]) . '</th>';
        }

        $rows = '';
        foreach ($links as $link) {
            $expires = $link['expires'] === null ? self::q($labels['never']) : self::q($format_date($link['expires']));
            $rows .= '<tr data-link-id="' . self::q($link['id']) . '">'
                . '<td class="file-name">' . self::q($link['file_name']) . '</td>'
                . '<td class="size" data-bytes="' . (int) $link['size'] . '">' . self::q($format_size($link['size'])) . '</td>'
                . '<td class="created" data-created="' . (int) $link['created'] . '">'
                    . self::q($format_date($link['created'])) . '</td>'
                . '<td class="expires" data-expires="' . ($link['expires'] === null ? 'never' : (int) $link['expires']) . '">'
                    . $expires . '</td>'
                . '<td class="url">'
                    . '<a class="link" href="' . self::q($link['url']) . '" target="_blank" rel="noopener noreferrer">'
                    . self::q($link['url']) . '</a> '
                    . '<button type="button" class="btn btn-secondary btn-sm copy" data-url="' . self::q($link['url']) . '">'
                    . self::q($labels['copy']) . '</button>'
                . '</td>'
                . '<td class="actions">'
                    . '<form class="delete-form" method="post" action="' . self::q($delete_url) . '">'
                    . '<input type="hidden" name="_token" value="' . self::q($token) . '">'
                    . '<input type="hidden" name="_id" value="' . self::q($link['id']) . '">'
                    . '<button type="submit" class="btn btn-danger btn-sm delete" data-file-name="'
                    . self::q($link['file_name']) . '">' . self::q($labels['delete']) . '</button>'
                    . '</form>'
                . '</td>'
                . '</tr>';
        }

        $html = '<table id="' . self::TABLE_ID . '" class="table records-table mailroom-shared-links">'
            . '<thead><tr>' . $head . '</tr></thead><tbody>' . $rows . '</tbody></table>';
        if (!$links) {
            $html .= '<p id="' . self::EMPTY_ID . '" class="hint">' . self::q($labels['nolinks']) . '</p>';
        }

        return $html;
    }

    /**
     * Text for HTML, in an element or a quoted attribute. Invalid UTF-8 (never in a record,
     * which is JSON) is replaced rather than dropping the whole text.
     */
    public static function q($text)
    {
        return htmlspecialchars((string) $text, ENT_QUOTES | ENT_HTML5 | ENT_SUBSTITUTE, 'UTF-8');
    }
}
