package org.ducisc.backend;

import org.ducisc.core.Device;

/** A block of memory owned by one backend. Only that backend interprets its contents. */
public interface Buffer {
    long byteSize();

    Device device();
}
