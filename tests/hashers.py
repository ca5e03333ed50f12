"""A fast hasher for tests that counts how often it hashes, to test timing-safety. Like the
real one it holds one of the process's hashing slots (accounts.hashers) while it works, and
counts only the hashes it makes."""

from django.contrib.auth.hashers import MD5PasswordHasher

from accounts.hashers import BoundedHashing


class _CountingMD5(MD5PasswordHasher):
    def encode(self, password, salt):
        CountingHasher.calls += 1
        return super().encode(password, salt)


class CountingHasher(BoundedHashing, _CountingMD5):
    algorithm = "counting_md5"
    calls = 0
