package input

import "testing"

func TestPoolIDAndRegion(t *testing.T) {
	tests := []struct {
		id     string
		valid  bool
		region string
	}{
		{"us-east-1_AbCdEf123", true, "us-east-1"},
		{"eu-west-1_x", true, "eu-west-1"},
		{"us-gov-west-1_Abc", true, "us-gov-west-1"},
		{"cn-northwest-1_Abc", true, "cn-northwest-1"},
		{"eusc-de-east-1_Abc", true, "eusc-de-east-1"},
		{"local_AbCd1234", true, ""}, // cognito-local: valid, no region
		{"us_east_1_Abc", true, ""},
		{"Test_Abc", true, ""},
		{"us-east-1_", false, ""},
		{"_Abc", false, ""},
		{"us-east-1", false, ""},
		{"us-east-1-AbC", false, ""},
		{"us-east-1_Ab-c", false, ""},
		{"us-east-1_Ab c", false, ""},
		{"us east-1_Abc", false, ""},
		{"us-east-1_0123456789012345678901234567890123456789012345", false, ""}, // 56 characters
		{"", false, ""},
		{"US-EAST-1_Abc", true, ""},
		{"us-east-x_Abc", true, ""},
	}
	for _, tt := range tests {
		if got := ValidPoolID(tt.id); got != tt.valid {
			t.Errorf("ValidPoolID(%q) = %v, want %v", tt.id, got, tt.valid)
		}
		if got := PoolRegion(tt.id); got != tt.region {
			t.Errorf("PoolRegion(%q) = %q, want %q", tt.id, got, tt.region)
		}
	}
}
