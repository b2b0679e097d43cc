package org.ducisc.io;


/** One case of a data set: its name, its image, and its label (same shape as the image). */
public record CaseData(String name, Volume image, Volume label) {
    public CaseData {
        if (image.isLabels() || !label.isLabels()) {
            throw new IllegalArgumentException("CaseData " + name + ": image must be float32 and label uint8");
        }
        if (!java.util.Arrays.equals(image.shape(), label.shape())) {
            throw new IllegalArgumentException("CaseData " + name + ": label shape "
                    + java.util.Arrays.toString(label.shape()) + " differs from image shape "
                    + java.util.Arrays.toString(image.shape()));
        }
    }
}
