import sys

from tests.no_redis_binary import main

raise SystemExit(main(sys.argv[1:]))
