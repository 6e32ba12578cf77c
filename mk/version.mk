# The one place the release version is set (Makefile, mk/build.mk; the man page, debian/changelog
# and the README are checked against it by tests/ship/test_ship.py).
ECS_VERSION := 0.1.0
