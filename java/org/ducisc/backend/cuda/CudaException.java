package org.ducisc.backend.cuda;

/** A failed CUDA call: the message names the function and carries the library's own error string. */
public final class CudaException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public CudaException(String message) {
        super(message);
    }

    public CudaException(String message, Throwable cause) {
        super(message, cause);
    }
}
