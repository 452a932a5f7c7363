# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Write the custom_logo target's large inputs into a directory (too big to keep in git).

exactly-1mib.png / too-big.png: logo-600x300.png padded with zeros after its end to 1,048,576
and 1,048,577 bytes (a valid image either way: only the size differs).
bomb.png: a PNG of 30000x30000 pixels in about 110 KB (one bit per pixel, every row zero).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import struct
import sys
import zlib

SIZE_LIMIT = 1048576


def chunk(kind, payload):
    return struct.pack('>I', len(payload)) + kind + payload + struct.pack('>I', zlib.crc32(kind + payload))


def bomb(side=30000):
    row = b'\0' * (1 + (side + 7) // 8)
    compressor = zlib.compressobj(9)
    rows = b''.join(compressor.compress(row) for _row in range(side)) + compressor.flush()
    header = struct.pack('>IIBBBBB', side, side, 1, 0, 0, 0, 0)
    return b'\x89PNG\r\n\x1a\n' + chunk(b'IHDR', header) + chunk(b'IDAT', rows) + chunk(b'IEND', b'')


def main(directory):
    here = os.path.dirname(os.path.abspath(__file__))
    with open(os.path.join(here, 'logo-600x300.png'), 'rb') as handle:
        image = handle.read()
    outputs = {
        'exactly-1mib.png': image.ljust(SIZE_LIMIT, b'\0'),
        'too-big.png': image.ljust(SIZE_LIMIT + 1, b'\0'),
        'bomb.png': bomb(),
    }
    for name, data in outputs.items():
        with open(os.path.join(directory, name), 'wb') as handle:
            handle.write(data)


if __name__ == '__main__':
    main(sys.argv[1])
