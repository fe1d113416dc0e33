// Fails while being evaluated.
throw new Error('fixture failed at import time');
