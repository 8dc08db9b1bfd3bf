#!/bin/sh
# A dynamic inventory without _meta: variables come from --host per host.
if [ "$1" = "--list" ]; then
  echo '{"app": {"hosts": ["a1", "a2"], "vars": {"tier": "app"}}, "all": {"vars": {"global": true}}}'
elif [ "$1" = "--host" ] && [ "$2" = "a1" ]; then
  echo '{"ansible_host": "10.9.9.1", "n": 1}'
else
  echo ''
fi
