//! scikit-learn's `train_test_split(..., random_state=...)`, reproduced exactly: FE's
//! `breast_cancer` loader splits with it, so the same seed gives the same train and eval rows.
//!
//! sklearn draws the permutation with numpy's legacy `RandomState` (MT19937, seeded with
//! `init_genrand`, shuffled with masked rejection sampling), implemented here.

/// numpy's legacy `RandomState`, enough of it for `permutation` and `random_sample`.
#[derive(Debug, Clone)]
pub struct RandomState {
    mt: [u32; 624],
    index: usize,
}

impl RandomState {
    /// `numpy.random.RandomState(seed)`.
    pub fn new(seed: u32) -> RandomState {
        let mut mt = [0u32; 624];
        mt[0] = seed;
        for i in 1..624 {
            mt[i] = 1_812_433_253u32.wrapping_mul(mt[i - 1] ^ (mt[i - 1] >> 30)).wrapping_add(i as u32);
        }
        RandomState { mt, index: 624 }
    }

    fn generate(&mut self) {
        for i in 0..624 {
            let y = (self.mt[i] & 0x8000_0000) | (self.mt[(i + 1) % 624] & 0x7fff_ffff);
            let mut v = self.mt[(i + 397) % 624] ^ (y >> 1);
            if y & 1 != 0 {
                v ^= 0x9908_b0df;
            }
            self.mt[i] = v;
        }
        self.index = 0;
    }

    /// The next 32-bit output (MT19937 `genrand_int32`).
    pub fn next_u32(&mut self) -> u32 {
        if self.index >= 624 {
            self.generate();
        }
        let mut y = self.mt[self.index];
        self.index += 1;
        y ^= y >> 11;
        y ^= (y << 7) & 0x9d2c_5680;
        y ^= (y << 15) & 0xefc6_0000;
        y ^ (y >> 18)
    }

    /// `random_sample()`: a double in [0, 1) with 53 random bits.
    pub fn random_sample(&mut self) -> f64 {
        let a = f64::from(self.next_u32() >> 5);
        let b = f64::from(self.next_u32() >> 6);
        (a * 67_108_864.0 + b) / 9_007_199_254_740_992.0
    }

    /// A uniform integer in `0..=max` (numpy's `random_interval`).
    fn interval(&mut self, max: u64) -> u64 {
        if max == 0 {
            return 0;
        }
        let mut mask = max;
        for shift in [1, 2, 4, 8, 16, 32] {
            mask |= mask >> shift;
        }
        loop {
            let v = if max <= 0xffff_ffff {
                u64::from(self.next_u32()) & mask
            } else {
                ((u64::from(self.next_u32()) << 32) | u64::from(self.next_u32())) & mask
            };
            if v <= max {
                return v;
            }
        }
    }

    /// `permutation(n)`: a shuffled `0..n`.
    pub fn permutation(&mut self, n: usize) -> Vec<usize> {
        let mut out: Vec<usize> = (0..n).collect();
        for i in (1..n).rev() {
            let j = self.interval(i as u64) as usize;
            out.swap(i, j);
        }
        out
    }
}

/// The (train, test) row indices of sklearn's `train_test_split(n rows, test_size=test_size,
/// random_state=seed)`: `ceil(test_size * n)` test rows first from a `RandomState(seed)`
/// permutation, the rest for training, both in permutation order.
pub fn train_test_split_indices(n: usize, test_size: f64, seed: u32) -> (Vec<usize>, Vec<usize>) {
    let n_test = ((test_size * n as f64).ceil() as usize).min(n);
    let permutation = RandomState::new(seed).permutation(n);
    let test = permutation[..n_test].to_vec();
    let train = permutation[n_test..].to_vec();
    (train, test)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Reference values printed by numpy (`np.random.RandomState(42)`).
    #[test]
    fn matches_numpy() {
        assert_eq!(RandomState::new(42).random_sample(), 0.3745401188473625);
        assert_eq!(RandomState::new(42).permutation(10), vec![8, 1, 5, 0, 7, 2, 9, 4, 3, 6]);
        // MT19937's reference first output for init_genrand(5489).
        assert_eq!(RandomState::new(5489).next_u32(), 3_499_211_612);
    }

    #[test]
    fn split_sizes_follow_sklearn() {
        let (train, test) = train_test_split_indices(569, 0.2, 42);
        assert_eq!((train.len(), test.len()), (455, 114));
        let mut all: Vec<usize> = train.iter().chain(&test).copied().collect();
        all.sort();
        assert_eq!(all, (0..569).collect::<Vec<_>>());
    }
}
