package org.ducisc.io;

/**
 * The geometry fields of a NIfTI-1 header, kept as read so a volume written in an input's geometry
 * carries both of its voxel-to-world transforms and their codes (NIfTI-1 header, nifti1.h):
 * {@code qform_code} with the quaternion ({@code quatern_b/c/d}, {@code qoffset_x/y/z}, the sign
 * {@code qfac} in {@code pixdim[0]}, the voxel sizes {@code pixdim[1..3]} in {@code xyzt_units}),
 * and {@code sform_code} with the rows {@code srow_x/y/z}. A viewer may prefer either transform,
 * so a copy that drops one (or changes its code) can misplace the volume.
 *
 * @param qformCode {@code qform_code} (0 = no qform)
 * @param sformCode {@code sform_code} (0 = no sform)
 * @param pixdim {@code pixdim[0..3]}: qfac, then the voxel sizes along i, j, k
 * @param quatern {@code quatern_b, quatern_c, quatern_d, qoffset_x, qoffset_y, qoffset_z}
 * @param srow {@code srow_x, srow_y, srow_z}, 4 values each, row after row
 * @param xyztUnits {@code xyzt_units}: the spatial and temporal unit codes
 */
public record NiftiGeometry(short qformCode, short sformCode, float[] pixdim, float[] quatern, float[] srow,
                            byte xyztUnits) {
    public NiftiGeometry {
        if (pixdim.length != 4 || quatern.length != 6 || srow.length != 12) {
            throw new IllegalArgumentException("NiftiGeometry: pixdim needs 4 values, quatern 6 and srow 12, got "
                    + pixdim.length + ", " + quatern.length + " and " + srow.length);
        }
        pixdim = pixdim.clone();
        quatern = quatern.clone();
        srow = srow.clone();
    }

    @Override
    public float[] pixdim() {
        return pixdim.clone();
    }

    @Override
    public float[] quatern() {
        return quatern.clone();
    }

    @Override
    public float[] srow() {
        return srow.clone();
    }
}
