//! Python's `random.Random(seed)` (MT19937 with CPython's seeding), so `random(seed=...)` picks
//! the same values as Ansible: `{{ 59 | random(seed=inventory_hostname) }}` keeps the cron minute
//! a host already has.

use sha2::Digest;

/// CPython's Mersenne Twister state.
pub(crate) struct PyRandom {
    mt: [u32; 624],
    index: usize,
}

impl PyRandom {
    /// `random.Random(seed)` for a `str` seed (CPython version-2 seeding: the text followed by its
    /// SHA-512, read as one big-endian integer).
    pub(crate) fn from_str_seed(seed: &str) -> PyRandom {
        let mut bytes = seed.as_bytes().to_vec();
        bytes.extend_from_slice(&sha2::Sha512::digest(seed.as_bytes()));
        PyRandom::from_big_endian(&bytes)
    }

    /// `random.Random(n)` for an integer seed.
    pub(crate) fn from_int_seed(seed: i64) -> PyRandom {
        PyRandom::from_big_endian(&seed.unsigned_abs().to_be_bytes())
    }

    fn from_big_endian(bytes: &[u8]) -> PyRandom {
        // 32-bit words, least significant first; as many as the number's bit length needs.
        let mut words: Vec<u32> = bytes
            .rchunks(4)
            .map(|c| c.iter().fold(0u32, |acc, b| (acc << 8) | u32::from(*b)))
            .collect();
        while words.len() > 1 && words.last() == Some(&0) {
            words.pop();
        }
        let mut r = PyRandom {
            mt: [0; 624],
            index: 624,
        };
        r.init_by_array(&words);
        r
    }

    fn init_genrand(&mut self, s: u32) {
        self.mt[0] = s;
        for i in 1..624 {
            let prev = self.mt[i - 1];
            self.mt[i] = 1_812_433_253u32
                .wrapping_mul(prev ^ (prev >> 30))
                .wrapping_add(i as u32);
        }
        self.index = 624;
    }

    fn init_by_array(&mut self, key: &[u32]) {
        self.init_genrand(19_650_218);
        let (mut i, mut j) = (1usize, 0usize);
        let len = key.len().max(1);
        for _ in 0..624.max(len) {
            let prev = self.mt[i - 1];
            self.mt[i] = (self.mt[i] ^ (prev ^ (prev >> 30)).wrapping_mul(1_664_525))
                .wrapping_add(key.get(j).copied().unwrap_or(0))
                .wrapping_add(j as u32);
            i += 1;
            j += 1;
            if i >= 624 {
                self.mt[0] = self.mt[623];
                i = 1;
            }
            if j >= len {
                j = 0;
            }
        }
        for _ in 0..623 {
            let prev = self.mt[i - 1];
            self.mt[i] = (self.mt[i] ^ (prev ^ (prev >> 30)).wrapping_mul(1_566_083_941))
                .wrapping_sub(i as u32);
            i += 1;
            if i >= 624 {
                self.mt[0] = self.mt[623];
                i = 1;
            }
        }
        self.mt[0] = 0x8000_0000;
    }

    fn genrand_u32(&mut self) -> u32 {
        if self.index >= 624 {
            for k in 0..624 {
                let y = (self.mt[k] & 0x8000_0000) | (self.mt[(k + 1) % 624] & 0x7fff_ffff);
                let mut v = self.mt[(k + 397) % 624] ^ (y >> 1);
                if y & 1 == 1 {
                    v ^= 0x9908_b0df;
                }
                self.mt[k] = v;
            }
            self.index = 0;
        }
        let mut y = self.mt[self.index];
        self.index += 1;
        y ^= y >> 11;
        y ^= (y << 7) & 0x9d2c_5680;
        y ^= (y << 15) & 0xefc6_0000;
        y ^= y >> 18;
        y
    }

    /// `getrandbits(k)` for `k <= 32`.
    fn getrandbits(&mut self, k: u32) -> u64 {
        u64::from(self.genrand_u32() >> (32 - k))
    }

    /// `_randbelow(n)`: uniform in `0..n` (n ≤ 2^32).
    pub(crate) fn randbelow(&mut self, n: u64) -> u64 {
        if n <= 1 {
            return 0;
        }
        let k = 64 - n.leading_zeros();
        let k = k.min(32);
        let mut r = self.getrandbits(k);
        while r >= n {
            r = self.getrandbits(k);
        }
        r
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_cpython() {
        // python3 -c "import random; r=random.Random('web1'); print(r.randrange(0, 60))" etc.
        assert_eq!(PyRandom::from_str_seed("web1").randbelow(60), 52);
        assert_eq!(PyRandom::from_int_seed(42).randbelow(100), 81);
        assert_eq!(PyRandom::from_str_seed("x").randbelow(100), 80);
        assert_eq!(PyRandom::from_str_seed("host-a").randbelow(4), 2);
    }
}
