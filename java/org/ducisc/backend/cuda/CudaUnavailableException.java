package org.ducisc.backend.cuda;

/** CUDA cannot be used on this machine; the message is one line saying why. */
public final class CudaUnavailableException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public CudaUnavailableException(String message) {
        super(message);
    }
}
